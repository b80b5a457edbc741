"""Receipts of the fake platform: built like ctReceiptV2 and pushed to the portal, as the Nodo does: `paSendRTV2`
(SOAP) to the Comune's station (settings.PAGOPA_MOCK_RECEIPT_CHANNEL "soap", the default), or — the fake's own
older channel — as JSON signed with HMAC-SHA256 to the JSON intake ("json").

A delivery is retried with backoff until the intake answers 2xx (the beat task `receipt_deliveries_send_due_task`
sends what is due). The behaviour row can delay, duplicate, reverse and fail deliveries on purpose.
"""

import datetime
import json
import logging
import uuid
from functools import partial
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from payments.pagopa import ROME, SIGNATURE_HEADER, receipt_sign
from portal.http_transport import configured_transport, tls_context

from .models import Behaviour, Checkout, PaymentOption, Receipt, ReceiptDelivery
from .psps import METHODS, SHOP_METHOD_CODE, Psp
from .receipt_xml import SOAP_ACTION, pa_send_rt_v2_envelope, pa_send_rt_v2_outcome
from .tasks import receipt_deliveries_send_task

logger = logging.getLogger(__name__)

TIMEOUT_DELAY_SECONDS = 20  # a card that "timed out": its receipts arrive this much later
MAX_ATTEMPTS = 12
CLAIM_SECONDS = 60  # while a delivery is being posted, the beat leaves it alone


def euro_text(cents: int) -> str:
    """Cents → the receipt's decimal text: 4550 → "45.50"."""
    return f"{int(cents) // 100}.{int(cents) % 100:02d}"


def backoff_seconds(attempts: int) -> int:
    return min(5 * 2 ** max(0, attempts - 1), 600)


def receipt_channel() -> str:
    """ "soap" (paSendRTV2 to the station, as the Nodo) or "json" (the fake's signed JSON)."""
    return getattr(settings, "PAGOPA_MOCK_RECEIPT_CHANNEL", "soap")


def receipt_target_url() -> str:
    """Where receipts go: PAGOPA_MOCK_RECEIPT_URL if set, else the portal's station (or JSON intake) on PORTAL_DOMAIN
    ("" if none)."""
    explicit = getattr(settings, "PAGOPA_MOCK_RECEIPT_URL", "")
    if explicit:
        return explicit
    try:
        path = reverse("payments:pagopa_station" if receipt_channel() == "soap" else "payments:receipt_intake")
    except NoReverseMatch:
        return ""
    # In memory the portal is reached under the host the gateway uses for the fake (tests: "testserver").
    host = (
        urlsplit(settings.PAGOPA_BASE_URL).netloc
        if settings.PAGOPA_HTTP_TRANSPORT == "wsgi"
        else settings.PORTAL_DOMAIN
    )
    return f"http://{host}{path}"


def delivery_transport() -> httpx.BaseTransport | None:
    """The transport receipts are posted with (tests replace this function to capture them)."""
    return configured_transport()


def receipt_body_bytes(receipt: Receipt) -> bytes:
    return json.dumps(receipt.body, ensure_ascii=False, separators=(",", ":")).encode()


def station_ids(receipt: Receipt) -> dict[str, str]:
    """The creditor's station as the Nodo knows it from the onboarding: idPA is the position's creditor."""
    stations = [item.strip() for item in settings.PAGOPA_ID_STATION.split(",") if item.strip()]
    return {
        "id_pa": str(receipt.body.get("fiscalCode", "")),
        "id_broker_pa": settings.PAGOPA_ID_BROKER_PA,
        "id_station": stations[0] if stations else "",
    }


def receipt_request(receipt: Receipt) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one delivery, in the configured channel."""
    if receipt_channel() == "soap":
        body = pa_send_rt_v2_envelope(receipt.body, **station_ids(receipt))
        return body, {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{SOAP_ACTION}"'}
    body = receipt_body_bytes(receipt)
    signature = receipt_sign(body=body, secret=settings.PAYMENTS_WEBHOOK_SECRET)
    return body, {"Content-Type": "application/json", SIGNATURE_HEADER: signature}


def receipt_create(
    *, option: PaymentOption, psp: Psp, method: str, fee_cents: int, checkout: Checkout | None
) -> Receipt:
    """The platform's receipt for a paid option; the payer is the position's debtor (the fake knows no one else)."""
    position = option.position
    now = timezone.localtime(timezone.now(), ROME).replace(microsecond=0)
    subject = {
        "entityUniqueIdentifierType": position.type,
        "entityUniqueIdentifierValue": position.payer_fiscal_code,
        "fullName": position.payer_name,
    }
    if position.payer_email:
        subject["eMail"] = position.payer_email
    online = method != "shop"
    receipt_id = uuid.uuid4().hex
    body = {
        "receiptId": receipt_id,
        "noticeNumber": option.nav,
        "fiscalCode": position.organization_fiscal_code,
        "outcome": "OK",
        "creditorReferenceId": option.iuv,
        "paymentAmount": euro_text(option.amount_cents),
        "description": option.description,
        "companyName": position.company_name,
        "officeName": position.office_name,
        "debtor": subject,
        "payer": subject,
        "transferList": [
            {
                "idTransfer": int(transfer["idTransfer"]),
                "transferAmount": euro_text(transfer["amount"]),
                "fiscalCodePA": transfer.get("organizationFiscalCode") or position.organization_fiscal_code,
                "IBAN": transfer.get("iban", ""),
                "remittanceInformation": transfer["remittanceInformation"],
                "transferCategory": transfer["category"],
            }
            for transfer in option.transfers
        ],
        "idPSP": psp.id,
        "pspFiscalCode": psp.fiscal_code,
        "PSPCompanyName": psp.name,
        "idChannel": psp.channel,
        "channelDescription": "online" if online else "presso il PSP",
        "paymentMethod": METHODS[method][1] if online else SHOP_METHOD_CODE,
        "fee": euro_text(fee_cents),
        "primaryCiIncurredFee": "0.00",
        "paymentDateTime": now.isoformat(),
        "applicationDate": now.date().isoformat(),
        "transferDate": now.date().isoformat(),
        "metadata": [{"key": "idCart", "value": checkout.id_cart}] if checkout and checkout.id_cart else [],
        "standIn": False,
    }
    return Receipt.objects.create(receipt_id=receipt_id, option=option, checkout=checkout, body=body)


def receipts_queue(*, receipts: list[Receipt], extra_delay_seconds: int = 0) -> list[ReceiptDelivery]:
    """Deliveries for receipts as the behaviour says (delay, twice, reverse order); sent after commit if due now."""
    behaviour = Behaviour.current()
    if behaviour.lose_pushes:  # the push is lost: the receipts stay with the receipts service, for pull
        return []
    delay = behaviour.delay_seconds + max(0, extra_delay_seconds)
    after = timezone.now() + datetime.timedelta(seconds=delay)
    ordered = list(reversed(receipts)) if behaviour.out_of_order else list(receipts)
    target = receipt_target_url()
    deliveries = []
    for _copy in range(2 if behaviour.send_twice else 1):
        for index, receipt in enumerate(ordered):
            deliveries.append(
                ReceiptDelivery.objects.create(receipt=receipt, target_url=target, sequence=index, deliver_after=after)
            )
    if delay == 0:
        transaction.on_commit(partial(receipt_deliveries_send_task.delay, [delivery.pk for delivery in deliveries]))
    return deliveries


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    if not url:
        return 0, "nessun indirizzo per le ricevute (manca payments:pagopa_station)"
    try:
        timeout = float(settings.PAGOPA_TIMEOUT_SECONDS)
        with httpx.Client(transport=delivery_transport(), verify=tls_context(), timeout=timeout) as client:
            response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as error:
        return 0, f"{type(error).__name__}: {error}"[:300]
    if not 200 <= response.status_code < 300:
        return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"
    if headers.get("SOAPAction"):  # a KO in a 200 is not a delivery: the Nodo keeps the receipt and retries
        outcome, fault = pa_send_rt_v2_outcome(response.content)
        if outcome != "OK":
            return response.status_code, f"paSendRTV2Response {outcome or 'illeggibile'} {fault}".strip()
    return response.status_code, ""


def receipt_delivery_attempt(*, delivery_id: int, force: bool = False) -> bool:
    """Try one delivery now; True once delivered. `force` ignores deliver_after (a flush)."""
    now = timezone.now()
    with transaction.atomic():
        delivery = ReceiptDelivery.objects.select_for_update().select_related("receipt").filter(pk=delivery_id).first()
        if delivery is None or delivery.delivered_at is not None:
            return delivery is not None
        if delivery.attempts >= MAX_ATTEMPTS or (not force and delivery.deliver_after > now):
            return False
        delivery.attempts += 1
        behaviour = Behaviour.objects.select_for_update().get(pk=Behaviour.current().pk)
        if behaviour.failures_left > 0:
            behaviour.failures_left -= 1
            behaviour.save(update_fields=["failures_left", "updated_at"])
            delivery.last_status = 503
            delivery.last_error = "503 simulato: il simulatore fa fallire questo invio (fallisci i primi N invii)"
            delivery.deliver_after = now + datetime.timedelta(seconds=backoff_seconds(delivery.attempts))
            delivery.save(update_fields=["attempts", "last_status", "last_error", "deliver_after"])
            return False
        delivery.deliver_after = now + datetime.timedelta(seconds=CLAIM_SECONDS)
        delivery.save(update_fields=["attempts", "deliver_after"])
        url = delivery.target_url or receipt_target_url()
        body, headers = receipt_request(delivery.receipt)
    status, error = _post(url, body, headers)
    with transaction.atomic():
        delivery = ReceiptDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.last_status = status or None
        delivery.last_error = error
        if not error:
            delivery.delivered_at = timezone.now()
        else:
            logger.warning(
                "mockpsp: receipt delivery %s failed (attempt %s): %s", delivery_id, delivery.attempts, error
            )
            delivery.deliver_after = timezone.now() + datetime.timedelta(seconds=backoff_seconds(delivery.attempts))
        delivery.save(update_fields=["last_status", "last_error", "delivered_at", "deliver_after"])
    return not error


def receipt_deliveries_send(*, delivery_ids: list[int]) -> int:
    """Attempt the given deliveries in this order (the Celery task queued after a payment)."""
    return sum(receipt_delivery_attempt(delivery_id=pk) for pk in delivery_ids)


def _pending() -> list[int]:
    rows = ReceiptDelivery.objects.filter(delivered_at__isnull=True, attempts__lt=MAX_ATTEMPTS).order_by("pk")
    return list(rows.values_list("pk", flat=True))


def receipt_deliveries_send_due() -> int:
    """Send every delivery whose time has come (delayed ones, retries): the beat task, every few seconds."""
    now = timezone.now()
    due = ReceiptDelivery.objects.filter(delivered_at__isnull=True, attempts__lt=MAX_ATTEMPTS, deliver_after__lte=now)
    return receipt_deliveries_send(delivery_ids=list(due.order_by("pk").values_list("pk", flat=True)))


def receipt_deliveries_flush(*, rounds: int = 1) -> int:
    """Send every pending delivery now, ignoring delays and backoff, `rounds` times over (tests, control page)."""
    delivered = 0
    for _round in range(max(1, rounds)):
        pending = _pending()
        if not pending:
            break
        delivered += sum(receipt_delivery_attempt(delivery_id=pk, force=True) for pk in pending)
    return delivered
