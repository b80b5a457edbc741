"""Deployment checks (`manage.py check --deploy`): a production portal must speak to the real pagoPA platform."""

import re

from django.conf import settings
from django.core.checks import Tags, Warning, register

_CREDITOR_CF = re.compile(r"^\d{11}$")


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
    if "/mockpsp/" in settings.PAGOPA_BASE_URL or settings.PAGOPA_SUBSCRIPTION_KEY in ("", "mock-subscription-key"):
        warnings.append(
            Warning(
                "PAGOPA_BASE_URL / PAGOPA_SUBSCRIPTION_KEY still point at the built-in fake.",
                hint="Set the platform's base URL and the subscription key PagoPA issued to the Comune.",
                id="payments.W003",
            )
        )
    if not _CREDITOR_CF.match(settings.PAGOPA_CREDITOR_FISCAL_CODE) or not settings.PAGOPA_CREDITOR_FISCAL_CODE.strip(
        "0"
    ):
        warnings.append(
            Warning(
                "PAGOPA_CREDITOR_FISCAL_CODE is not the Comune's 11-digit fiscal code.",
                hint="Set the Comune's codice fiscale: it is printed on every notice and checked on every receipt.",
                id="payments.W004",
            )
        )
    return warnings
