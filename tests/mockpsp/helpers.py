"""Helpers for tests that need the pagoPA fake (mockpsp): positions, payments, captured receipts.

- `nav_for()` / `gateway_position()`: valid identifiers and a `DebtPosition` for HttpGateway.
- `capture_receipts()`: intercept the fake's receipt pushes (an httpx.MockTransport) instead of posting them.
- `pay_notices_at_fake(client_or_none, notice_numbers)`: pay notices at the fake and push the receipts now.
- `flush_receipts()`, `set_behaviour()`: send waiting receipts; make the fake misbehave.
"""

import datetime
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import httpx
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from lxml import etree

from mockpsp import delivery, services
from mockpsp.models import PaymentOption
from mockpsp.psps import CARD_OK, psps_for
from payments.gateway.base import DebtPosition, DebtPositionOption
from payments.gateway.receipt_xml import pa_send_rt_v2_response
from payments.pagopa import iuv_from_notice_number, notice_number

# IUV bases far from the portal's own sequence, so that helper positions never clash with portal notices.
_BASES = itertools.count(7_000_000_000_001)


def nav_for(base: int | None = None) -> str:
    """A valid codice avviso (aux 3, the configured segregation code, mod-93 check) never used before in this run."""
    return notice_number(segregation_code=settings.PAGOPA_SEGREGATION_CODE, base=base or next(_BASES))


def gateway_position(
    *,
    amounts_cents: tuple[int, ...] = (4550,),
    iupd: str = "",
    partial: bool = False,
    due_date: datetime.date | None = None,
    payer_fiscal_code: str = "RSSMRA85C52H501N",
    payer_name: str = "Maria Rossi",
    description: str = "Mensa scolastica ottobre - Giulia Rossi",
) -> DebtPosition:
    """A DebtPosition for `HttpGateway.debt_position_create`, one option per amount (rate when partial)."""
    due = due_date or timezone.localdate() + datetime.timedelta(days=30)
    options = []
    for index, amount in enumerate(amounts_cents):
        nav = nav_for()
        options.append(
            DebtPositionOption(
                iuv=iuv_from_notice_number(nav),
                notice_number=nav,
                amount_cents=amount,
                due_date=due + datetime.timedelta(days=30 * index),
                description=f"{description} (rata {index + 1})" if partial else description,
                is_partial_payment=partial,
            )
        )
    return DebtPosition(
        iupd=iupd or f"{settings.PAGOPA_CREDITOR_FISCAL_CODE}{options[0].iuv}",
        payer_fiscal_code=payer_fiscal_code,
        payer_name=payer_name,
        payer_email="maria.rossi@example.it",
        company_name=settings.PAGOPA_CREDITOR_NAME,
        office_name=settings.PAGOPA_CREDITOR_OFFICE,
        taxonomy_code=settings.PAGOPA_TAXONOMY["canteen"],
        iban=settings.PAGOPA_CREDITOR_IBAN,
        options=options,
    )


@dataclass
class CapturedReceipts:
    """What the fake pushed: one entry per request, in order."""

    requests: list[httpx.Request] = field(default_factory=list)
    status: int = 200
    answer: Callable[[httpx.Request], httpx.Response] | None = None

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.answer is not None:
            return self.answer(request)
        if self.status >= 300:
            return httpx.Response(self.status, text="station unavailable")
        return httpx.Response(self.status, content=pa_send_rt_v2_response(outcome="OK"), headers=SOAP_HEADERS)

    @property
    def bodies(self) -> list[dict]:
        """Each pushed receipt as a dict of its ctReceiptV2 fields, after checking the call against the contract."""
        return [soap_receipt_dict(request.content) for request in self.requests]

    @property
    def notice_numbers(self) -> list[str]:
        return [body["noticeNumber"] for body in self.bodies]


CAPTURE_URL = "http://receipts.test/intake"
SOAP_HEADERS = {"Content-Type": "text/xml; charset=utf-8"}
CONTRACT = Path(__file__).resolve().parent.parent / "contracts" / "pa_send_rt_v2.xsd"
SOAP_ENV = "{http://schemas.xmlsoap.org/soap/envelope/}"
PA_FOR_NODE = "{http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd}"


def contract_validate(element: etree._Element) -> None:
    """Fail the test unless the paSendRTV2 message is valid against tests/contracts/pa_send_rt_v2.xsd."""
    schema = etree.XMLSchema(etree.parse(str(CONTRACT)))
    if not schema.validate(element):
        raise AssertionError(f"not valid against the contract: {schema.error_log}")


def _element_dict(element: etree._Element) -> object:
    children = list(element)
    if not children:
        return element.text or ""
    if element.tag in ("transferList", "metadata"):
        return [_element_dict(child) for child in children]
    return {child.tag: _element_dict(child) for child in children}


def soap_receipt_dict(content: bytes) -> dict:
    """A paSendRTV2 SOAP call → its receipt as a dict (element name → text, nested for subjects and lists)."""
    request = etree.fromstring(content).find(f"{SOAP_ENV}Body/{PA_FOR_NODE}paSendRTV2Request")
    assert request is not None, content[:300]
    contract_validate(request)
    receipt = _element_dict(request.find("receipt"))
    assert isinstance(receipt, dict)
    return receipt


@contextmanager
def capture_receipts(*, status: int = 200, url: str | None = CAPTURE_URL) -> Iterator[CapturedReceipts]:
    """Within the block, the fake's receipt pushes go to an httpx.MockTransport answering `status` (settable).

    Deliveries created in the block are addressed to `url` (PAGOPA_MOCK_RECEIPT_URL); url=None keeps the
    portal's intake address.
    """
    captured = CapturedReceipts(status=status)
    transport = mock.patch.object(delivery, "delivery_transport", return_value=httpx.MockTransport(captured.handler))
    address = override_settings(PAGOPA_MOCK_RECEIPT_URL=url) if url is not None else nullcontext()
    with transport, address:
        yield captured


def flush_receipts(*, rounds: int = 1) -> int:
    """Push every waiting receipt now (ignoring delays and backoff); returns how many were delivered."""
    return delivery.receipt_deliveries_flush(rounds=rounds)


def set_behaviour(**kwargs) -> None:
    """delay_seconds, send_twice, out_of_order, fail_first_n, check_digit_strict (the rest back to default)."""
    services.behaviour_set(**kwargs)


def pay_notices_at_fake(client_or_none, notice_numbers: list[str], *, creditor_fiscal_code: str = "") -> list[dict]:
    """Pay 1-5 notices at the fake as one cart with the cheapest card PSP, and push the receipts right away.

    With a Django test client the payment goes through the fake's checkout pages (card 4242…); with None it goes
    through the fake's services. Returns the receipt bodies (ctReceiptV2-shaped dicts) in cart order. Receipts
    are posted to the portal's intake (in-process with PAGOPA_HTTP_TRANSPORT = "wsgi"); wrap the call in
    `capture_receipts()` to intercept them instead.
    """
    creditor = creditor_fiscal_code or settings.PAGOPA_CREDITOR_FISCAL_CODE
    items = []
    for nav in notice_numbers:
        option = PaymentOption.objects.select_related("position").get(nav=nav)
        items.append(
            {
                "noticeNumber": nav,
                "fiscalCode": creditor,
                "amount": option.amount_cents,
                "companyName": option.position.company_name,
                "description": option.description,
            }
        )
    cart = services.checkout_create(
        data={
            "paymentNotices": items,
            "returnUrls": {
                "returnOkUrl": "/?esito=ok",
                "returnCancelUrl": "/?esito=annullato",
                "returnErrorUrl": "/?esito=errore",
                "returnWaitingUrl": "/?esito=attesa",
            },
        }
    )
    psp = psps_for("card")[0]
    if client_or_none is None:
        services.checkout_pay(token=cart.token, psp=psp, method="card")
    else:
        url = f"/mockpsp/checkout/{cart.token}/paga/"
        response = client_or_none.post(url, {"method": "card", "psp": psp.id, "card_number": CARD_OK})
        assert response.status_code == 302, response.content[:500]
    flush_receipts()
    cart.refresh_from_db()
    by_nav = {receipt.option.nav: receipt.body for receipt in cart.receipts.select_related("option")}
    return [by_nav[nav] for nav in notice_numbers]
