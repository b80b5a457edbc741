"""Deployment checks (`manage.py check --deploy`): a production portal must speak to the real pagoPA platform."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

from .gateway.http import pagopa_endpoints
from .pagopa import CREDITOR_TAXONOMY_PATTERN, entity_fiscal_code_valid, iban_valid


@register(Tags.security, deploy=True)
def pagopa_production_settings(app_configs, **kwargs) -> list[Warning]:
    warnings = []
    if settings.PAYMENTS_MOCK_ENABLED:
        warnings.append(
            Warning(
                "The pagoPA fake is served (PAYMENTS_MOCK_ENABLED): anyone could 'pay' notices with test cards.",
                hint="Set PAYMENTS_MOCK_ENABLED=false in production.",
                id="payments.W001",
            )
        )
    if not settings.PAYMENTS_WEBHOOK_SECRET:
        warnings.append(
            Warning(
                "PAYMENTS_WEBHOOK_SECRET is empty: every receipt posted by the platform will be refused.",
                hint="Set the shared secret (or terminate mutual TLS at the proxy and configure the secret it adds).",
                id="payments.W002",
            )
        )
    fake = [
        name
        for name, (url, key) in pagopa_endpoints().items()
        if "/mockpsp/" in url or key in ("", "mock-subscription-key")
    ]
    if fake:
        warnings.append(
            Warning(
                f"pagoPA services on the built-in fake or without a subscription key: {', '.join(fake)}.",
                hint="Set PAGOPA_BASE_URL / PAGOPA_SUBSCRIPTION_KEY, or PAGOPA_<SERVICE>_BASE_URL and "
                "_SUBSCRIPTION_KEY, to what the Comune's onboarding gave (README: pagoPA environments).",
                id="payments.W003",
            )
        )
    if not entity_fiscal_code_valid(settings.PAGOPA_CREDITOR_FISCAL_CODE):
        warnings.append(
            Warning(
                "PAGOPA_CREDITOR_FISCAL_CODE is not an 11-digit fiscal code with a valid check digit.",
                hint="Set the Comune's codice fiscale: it is printed on every notice and checked on every receipt.",
                id="payments.W004",
            )
        )
    warnings += _collection_settings_warnings()
    return warnings


def _collection_settings_warnings() -> list[Warning]:
    """Where the money goes and how it is classified: a wrong IBAN or taxonomy code is refused by the platform."""
    warnings = []
    if not iban_valid(settings.PAGOPA_CREDITOR_IBAN):
        warnings.append(
            Warning(
                "PAGOPA_CREDITOR_IBAN fails its check digits (or is not an Italian IBAN of 27 characters).",
                hint="Copy the treasury account's IBAN registered on the pagoPA back office.",
                id="payments.W005",
            )
        )
    if settings.PAGOPA_AUX_DIGIT == "3" and not 0 <= settings.PAGOPA_SEGREGATION_CODE <= 99:
        warnings.append(
            Warning(
                "PAGOPA_SEGREGATION_CODE must be the two digits the Comune chose for this portal (aux digit 3).",
                hint="Set the segregation code registered for this station (00-99).",
                id="payments.W006",
            )
        )
    wrong = [kind for kind, code in settings.PAGOPA_TAXONOMY.items() if not CREDITOR_TAXONOMY_PATTERN.match(code)]
    if wrong:
        warnings.append(
            Warning(
                f"Taxonomy codes not of the form 9/nnnnnnnXX/: {', '.join(sorted(wrong))}.",
                hint="Take each service's code from the official pagoPA taxonomy (PAGOPA_TAXONOMY_<SERVICE>).",
                id="payments.W007",
            )
        )
    return warnings
