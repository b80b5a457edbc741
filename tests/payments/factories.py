"""Families, notices and signed receipts for the payments tests.

Receipts are built as the fake platform builds them (mockpsp/delivery.py: ctReceiptV2 fields, amounts as
"45.50" text) and signed as it signs them: header X-PagoPA-Signature: "sha256=<hex HMAC-SHA256 of the raw body>"
with settings.PAYMENTS_WEBHOOK_SECRET.
"""

import datetime
import hashlib
import hmac
import itertools
import json
import uuid
from decimal import Decimal
from unittest import mock

from django.conf import settings
from django.utils import timezone

from accounts.models import Child, Guardianship
from payments import services
from payments.gateway import GatewayUnavailableError, ReturnUrls
from payments.models import PaymentNotice, PaymentOption
from tests.conftest import make_user

_numbers = itertools.count(1)


def _cf(prefix: str, number: int) -> str:
    """A 16-character upper-case code that satisfies the models' constraints (not a checked codice fiscale)."""
    return f"{prefix[:6].upper():X<6}{number:010d}"


def parent_make(*, first_name: str = "Anna", last_name: str = "Verdi", documents=()):
    number = next(_numbers)
    return make_user(
        codice_fiscale=_cf("PARENT", number),
        email=f"genitore{number}@example.it",
        first_name=first_name,
        last_name=last_name,
        documents=documents,
    )


def child_make(*, adult, first_name: str = "Luca", last_name: str = "Verdi", role: str = "reference") -> Child:
    number = next(_numbers)
    child = Child.objects.create(
        codice_fiscale=_cf("CHILDX", number),
        first_name=first_name,
        last_name=last_name,
        birth_date=datetime.date(2018, 5, 1),
        sex="M",
    )
    Guardianship.objects.create(adult=adult, child=child, role=role, granted_by=adult)
    return child


def delegate_add(*, child: Child, adult) -> Guardianship:
    return Guardianship.objects.create(adult=adult, child=child, role=Guardianship.Role.DELEGATE)


def notice_make(
    *,
    child: Child,
    payer,
    amount: str = "45.50",
    purpose: str = PaymentNotice.Purpose.TOPUP,
    service_kind: str = "canteen",
    causale: str = "Ricarica mensa - Luca Verdi - a.s. 2026/2027",
    due_in_days: int = 30,
    instalments: list[tuple[str, int]] | None = None,
    created_by=None,
) -> PaymentNotice:
    today = timezone.localdate()
    return services.notice_issue(
        child=child,
        service_kind=service_kind,
        purpose=purpose,
        amount=Decimal(amount),
        causale=causale,
        due_date=today + datetime.timedelta(days=due_in_days),
        payer=payer,
        created_by=created_by,
        instalments=[(Decimal(a), today + datetime.timedelta(days=d)) for a, d in instalments]
        if instalments
        else None,
    )


def single_option(notice: PaymentNotice) -> PaymentOption:
    return notice.options.get(instalment=0)


def _euro(cents: int) -> str:
    return f"{int(cents) // 100}.{int(cents) % 100:02d}"


def receipt_body(
    *,
    option: PaymentOption | None = None,
    notice_number: str = "",
    amount_cents: int | None = None,
    receipt_id: str = "",
    outcome: str = "OK",
    creditor: str = "",
    iuv: str = "",
    fee_cents: int = 150,
    psp_id: str = "MOCKPSP1",
    psp_name: str = "Banca Simulata",
    paid_at: datetime.datetime | None = None,
    payer_fiscal_code: str = "RSSMRA85C52H501N",
    payer_name: str = "Maria Rossi",
) -> dict:
    """A ctReceiptV2-shaped receipt for an option (or a made-up notice number), as the fake sends it."""
    number = notice_number or option.notice_number
    cents = amount_cents if amount_cents is not None else int(option.amount * 100)
    when = timezone.localtime(paid_at or timezone.now()).replace(microsecond=0)
    subject = {
        "entityUniqueIdentifierType": "F",
        "entityUniqueIdentifierValue": payer_fiscal_code,
        "fullName": payer_name,
    }
    return {
        "receiptId": receipt_id or uuid.uuid4().hex,
        "noticeNumber": number,
        "fiscalCode": creditor or settings.PAGOPA_CREDITOR_FISCAL_CODE,
        "outcome": outcome,
        "creditorReferenceId": iuv or number[1:],
        "paymentAmount": _euro(cents),
        "description": "Pagamento",
        "companyName": settings.PAGOPA_CREDITOR_NAME,
        "officeName": settings.PAGOPA_CREDITOR_OFFICE,
        "debtor": subject,
        "payer": subject,
        "transferList": [],
        "idPSP": psp_id,
        "pspFiscalCode": "00000000001",
        "PSPCompanyName": psp_name,
        "idChannel": "MOCKPSP1_01",
        "channelDescription": "online",
        "paymentMethod": "CP",
        "fee": _euro(fee_cents),
        "primaryCiIncurredFee": "0.00",
        "paymentDateTime": when.isoformat(),
        "applicationDate": when.date().isoformat(),
        "transferDate": when.date().isoformat(),
        "metadata": [],
        "standIn": False,
    }


def body_bytes(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def signature(raw: bytes, *, secret: str | None = None) -> str:
    key = settings.PAYMENTS_WEBHOOK_SECRET if secret is None else secret
    return "sha256=" + hmac.new(key.encode(), raw, hashlib.sha256).hexdigest()


def signed(body: dict, *, secret: str | None = None) -> tuple[bytes, dict]:
    """(raw body, headers) as the platform posts them."""
    raw = body_bytes(body)
    return raw, {"Content-Type": "application/json", "X-PagoPA-Signature": signature(raw, secret=secret)}


def receipt_post(body: dict, *, secret: str | None = None):
    """Hand a signed receipt to the intake service; returns (ReceiptMessage, status)."""
    raw, headers = signed(body, secret=secret)
    return services.receipt_intake(body=raw, headers=headers, remote_addr="127.0.0.1")


def receipt_pay(option: PaymentOption, **kwargs):
    """Pay an option: a valid signed receipt for its amount, through the intake."""
    return receipt_post(receipt_body(option=option, **kwargs))


# --- the platform and the checkout ------------------------------------------------------------------------------

URLS = ReturnUrls(
    ok="http://testserver/pagamenti/carrello/{public_id}/esito/ok/",
    cancel="http://testserver/pagamenti/carrello/{public_id}/esito/cancel/",
    error="http://testserver/pagamenti/carrello/{public_id}/esito/error/",
    waiting="http://testserver/pagamenti/carrello/{public_id}/esito/waiting/",
)


class DownGateway:
    """The platform does not answer anything."""

    def __getattr__(self, name):
        def call(**kwargs):
            raise GatewayUnavailableError("pagoPA non risponde (test)")

        return call


def platform_down():
    """Patch the gateway (looked up as payments.gateway.get_gateway at each call) with one that never answers."""
    return mock.patch("payments.gateway.get_gateway", return_value=DownGateway())


def publish(notice: PaymentNotice) -> PaymentNotice:
    services.notice_publish(notice_id=notice.pk)
    notice.refresh_from_db()
    return notice


def topup_notice(user, child, amount="20.00", service_kind="canteen") -> PaymentNotice:
    """A top-up notice as the service makes it (published on the fake when a cart opens)."""
    return services.topup_create(user=user, child_id=child.pk, service_kind=service_kind, amount=Decimal(amount))
