"""`check --deploy` warns when production would still speak to the built-in pagoPA fake or refuse receipts."""

from payments.checks import pagopa_production_settings


def ids(settings) -> set[str]:
    return {warning.id for warning in pagopa_production_settings(None)}


def test_the_test_settings_point_at_the_fake(settings):
    assert ids(settings) >= {"payments.W001", "payments.W003", "payments.W004"}


def test_production_settings_pass(settings):
    settings.PAYMENTS_MOCK_ENABLED = False
    settings.PAYMENTS_WEBHOOK_SECRET = "a-long-shared-secret"
    settings.PAGOPA_BASE_URL = "https://api.platform.pagopa.example/"
    settings.PAGOPA_SUBSCRIPTION_KEY = "issued-by-pagopa"
    settings.PAGOPA_CREDITOR_FISCAL_CODE = "01234567890"
    assert ids(settings) == set()


def test_an_empty_receipt_secret_is_flagged(settings):
    settings.PAYMENTS_WEBHOOK_SECRET = ""
    assert "payments.W002" in ids(settings)
