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
    settings.PAGOPA_CREDITOR_FISCAL_CODE = "01234567897"
    assert ids(settings) == set()


def _production(settings):
    test_production_settings_pass(settings)


def test_a_creditor_cf_with_a_wrong_check_digit_is_flagged(settings):
    _production(settings)
    settings.PAGOPA_CREDITOR_FISCAL_CODE = "01234567890"
    assert ids(settings) == {"payments.W004"}


def test_an_iban_failing_its_checksum_is_flagged(settings):
    _production(settings)
    settings.PAGOPA_CREDITOR_IBAN = "IT60X0542811101000000123457"
    assert ids(settings) == {"payments.W005"}


def test_a_segregation_code_out_of_range_is_flagged(settings):
    _production(settings)
    settings.PAGOPA_SEGREGATION_CODE = 123
    assert ids(settings) == {"payments.W006"}


def test_taxonomy_codes_not_of_the_creditor_form_are_flagged(settings):
    _production(settings)
    settings.PAGOPA_TAXONOMY = {**settings.PAGOPA_TAXONOMY, "canteen": "mensa"}
    assert ids(settings) == {"payments.W007"}


def test_one_service_left_on_the_fake_is_flagged(settings):
    _production(settings)
    settings.PAGOPA_CHECKOUT_BASE_URL = "http://127.0.0.1:8000/mockpsp/api/checkout/ec/v2"
    assert ids(settings) == {"payments.W003"}


def test_each_service_has_its_own_url_and_key_or_the_general_ones(settings):
    from payments.gateway.http import pagopa_endpoints

    settings.PAGOPA_BASE_URL = "https://api.uat.platform.pagopa.example/"
    settings.PAGOPA_SUBSCRIPTION_KEY = "general"
    settings.PAGOPA_GPD_BASE_URL = "https://api.uat.platform.pagopa.example/gpd/debt-positions-service/v1/"
    settings.PAGOPA_GPD_SUBSCRIPTION_KEY = "gpd-key"
    settings.PAGOPA_CHECKOUT_BASE_URL = ""
    settings.PAGOPA_CHECKOUT_SUBSCRIPTION_KEY = ""
    endpoints = pagopa_endpoints()
    assert endpoints["gpd"] == ("https://api.uat.platform.pagopa.example/gpd/debt-positions-service/v1", "gpd-key")
    assert endpoints["checkout"] == ("https://api.uat.platform.pagopa.example/checkout/ec/v2", "general")


def test_an_empty_receipt_secret_is_flagged(settings):
    settings.PAYMENTS_WEBHOOK_SECRET = ""
    assert "payments.W002" in ids(settings)
