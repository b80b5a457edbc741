"""The receipt intake: what the platform posts when a notice is paid (RT, ctReceiptV2), the only proof of payment.

Who sent it is checked first. A call that proves it (the platform's signature) is stored unmodified as a
ReceiptMessage with what the portal made of it, whatever happens; a refused one (no valid signature, not a receipt,
too large) only as its SHA-256, its length, its first kilobyte and the sender's address, and a sender that keeps
being refused is answered 429 without recording anything: nobody can fill the database from outside.
A receipt is credited at most once: its `receipt_id` is unique in the database, and the notice row is locked
while it is applied, so duplicates that arrive together wait for each other and the later ones find the first.

Answers (the int returned, sent as the HTTP status):
- 200 accepted (maybe flagged), duplicate (same receipt again: nothing more happens), or outcome KO (stored,
  nothing to credit: acknowledged so that the platform does not send it again);
- 400 signed, but not a receipt (not JSON, nested over 32 levels — refused before parsing —, a field missing
  or malformed);
- 401 signature missing or wrong; 404 unknown notice number; 413 a body over the endpoint's limit;
- 429 too many refused calls from one address: not even recorded any more, until the window passes;
- 409 a receipt id already used for another payment; 422 another creditor, IUV not matching the notice number,
  an amount different from the option's, or a payment date more than a day ahead or before 2020;
- 500 an unexpected error: the message is stored and the platform sends the receipt again later.

A receipt for a notice that is expired, cancelled, or already paid through another option is accepted (the money
was taken: it is recorded and credited) and flagged for the office: an expired notice becomes paid, a cancelled
one stays cancelled (cancelled is final) and the credit waits there for a refund decided by the office.
"""

import datetime
import hashlib
import logging
from collections.abc import Callable, Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.services import family_summary_invalidate
from portal.money import from_cents, to_cents

from .. import gateway as gateway_module
from ..creditors import notice_creditor, organizations
from ..gateway import ParsedReceipt, ReceiptFormatError, ReceiptSignatureError
from ..models import LedgerEntry, PaymentNotice, PaymentNoticeEvent, PaymentOption, Receipt, ReceiptMessage
from ..pagopa import SIGNATURE_HEADER
from .certificates import certificates_refresh_if_issued
from .events import notice_event_record
from .intake_refused import _body_text, _header, _ip
from .intake_refused import refuse as _refuse
from .ledger import ledger_record
from .notify import receipt_confirmation_enqueue

logger = logging.getLogger(__name__)

Outcome = ReceiptMessage.Outcome
Status = PaymentNotice.Status
# The fault code answered with each status (pagoPA's paSendRT faults where one fits).
FAULT_OF_STATUS = {
    400: "PAA_SINTASSI",
    401: "PAA_FIRMA_NON_VALIDA",
    404: "PAA_PAGAMENTO_SCONOSCIUTO",
    409: "PAA_RECEIPT_DUPLICATA",
    413: "PAA_SINTASSI",
    422: "PAA_SEMANTICA",
    429: "PAA_SYSTEM_ERROR",
    500: "PAA_SYSTEM_ERROR",
}

Store = Callable[..., ReceiptMessage]
# A payment date later than now by more than the clock skew, or earlier than the portal's first payments, is absurd.
PAID_AT_MAX_SKEW = datetime.timedelta(days=1)
PAID_AT_EARLIEST = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


class _Rejected(Exception):
    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def _store(
    *,
    body: str,
    sha256: str,
    length: int,
    signature: str,
    remote_addr: str | None,
    outcome: str,
    reason: str = "",
    channel: str = ReceiptMessage.Channel.JSON,
) -> ReceiptMessage:
    return ReceiptMessage.objects.create(
        body=body,
        body_sha256=sha256,
        body_length=length,
        signature=signature[:200],
        outcome=outcome,
        reason=reason[:300],
        remote_addr=remote_addr,
        received_at=timezone.now(),
        channel=channel,
    )


def receipt_message_store(
    *, body: bytes, channel: str, remote_addr: str | None, signature: str, reason: str
) -> ReceiptMessage:
    """Keep a message from a proven sender that is refused before it is read as a receipt (e.g. sent to another
    station): stored whole, rejected, with why."""
    return _store(
        body=_body_text(body),
        sha256=hashlib.sha256(body).hexdigest(),
        length=len(body),
        signature=signature,
        remote_addr=_ip(remote_addr),
        outcome=Outcome.REJECTED,
        reason=reason,
        channel=channel,
    )


def receipt_intake(
    *, body: bytes, headers: Mapping[str, str], remote_addr: str | None
) -> tuple[ReceiptMessage | None, int]:
    """Verify who sent it, then store, check and apply one posted receipt; returns the stored message (None when
    a sender past its limit of refused calls is not recorded) and the HTTP status."""
    try:
        parsed = gateway_module.get_gateway().receipt_verify_and_parse(body=body, headers=dict(headers))
    except ReceiptFormatError as error:
        reason = f"Firmato, ma non è una ricevuta: {error}"
        return _refuse(
            body, headers=headers, remote_addr=remote_addr, reason=reason, refusal=error.refusal, status=400
        )
    except ReceiptSignatureError as error:
        reason = f"Firma mancante o non valida: {error}"
        refusal = ReceiptMessage.Refusal.SIGNATURE
        return _refuse(body, headers=headers, remote_addr=remote_addr, reason=reason, refusal=refusal, status=401)
    return receipt_accept(
        parsed=parsed,
        body=body,
        channel=ReceiptMessage.Channel.JSON,
        remote_addr=remote_addr,
        signature=_header(headers, SIGNATURE_HEADER),
    )


def receipt_accept(
    *, parsed: ParsedReceipt, body: bytes, channel: str, remote_addr: str | None, signature: str = ""
) -> tuple[ReceiptMessage, int]:
    """Store, check and apply a receipt whose sender is proven (the channel did that: HMAC, mutual TLS, or the
    portal's own pull from the platform). The one intake of every channel; returns the message and the status."""
    digest = hashlib.sha256(body).hexdigest()

    def store(*, outcome: str, reason: str = "") -> ReceiptMessage:
        return _store(
            body=_body_text(body),
            sha256=digest,
            length=len(body),
            signature=signature,
            remote_addr=_ip(remote_addr),
            outcome=outcome,
            reason=reason,
            channel=channel,
        )

    try:
        _receipt_static_check(parsed)
    except _Rejected as rejected:
        logger.warning("Receipt %s rejected: %s", parsed.receipt_id, rejected.reason)
        return store(outcome=Outcome.REJECTED, reason=rejected.reason), rejected.status
    if parsed.outcome != "OK":
        logger.info("Receipt %s with outcome %s: nothing to credit", parsed.receipt_id, parsed.outcome)
        return store(outcome=Outcome.REJECTED, reason="Esito KO: pagamento non avvenuto, nulla accreditato"), 200
    try:
        return _receipt_apply(parsed=parsed, store=store)
    except Exception as error:  # stored anyway; the platform sends the receipt again
        logger.exception("Receipt %s not applied", parsed.receipt_id)
        return store(
            outcome=Outcome.REJECTED, reason=f"Errore interno ({type(error).__name__}): da ricevere di nuovo"
        ), 500


def _receipt_static_check(parsed: ParsedReceipt) -> None:
    """What can be checked without the database."""
    if parsed.creditor_fiscal_code not in organizations():
        raise _Rejected(f"Ente creditore diverso: {parsed.creditor_fiscal_code[:11]}", 422)
    if parsed.iuv != parsed.notice_number[1:]:
        raise _Rejected(f"IUV {parsed.iuv[:35]} non corrisponde al codice avviso {parsed.notice_number}", 422)
    if parsed.outcome == "OK" and parsed.amount_cents <= 0:
        raise _Rejected("Importo pagato non positivo", 422)
    paid_at = _aware(parsed.paid_at)
    if paid_at > timezone.now() + PAID_AT_MAX_SKEW:
        raise _Rejected(f"Data di pagamento nel futuro: {parsed.paid_at.isoformat()[:40]}", 422)
    if paid_at < PAID_AT_EARLIEST:
        raise _Rejected(f"Data di pagamento troppo vecchia: {parsed.paid_at.isoformat()[:40]}", 422)


@transaction.atomic
def _receipt_apply(*, parsed: ParsedReceipt, store: Store) -> tuple[ReceiptMessage, int]:
    # The lock serialises every receipt of this notice (and cancellations, expiry): what follows sees their commits.
    notice = (
        PaymentNotice.objects.select_for_update(of=("self",))
        .select_related("payer", "child", "creditor")
        .filter(options__notice_number=parsed.notice_number)
        .first()
    )
    if notice is None:
        logger.warning("Receipt %s for unknown notice number %s", parsed.receipt_id, parsed.notice_number)
        return store(outcome=Outcome.REJECTED, reason=f"Codice avviso sconosciuto: {parsed.notice_number}"), 404
    if notice_creditor(notice).fiscal_code != parsed.creditor_fiscal_code:  # a school's number, the Comune's CF
        reason = f"Ente creditore {parsed.creditor_fiscal_code[:11]} diverso da quello dell'avviso"
        return store(outcome=Outcome.REJECTED, reason=reason), 422
    options = list(PaymentOption.objects.filter(notice_id=notice.pk).order_by("instalment"))
    option = next(option for option in options if option.notice_number == parsed.notice_number)

    if to_cents(option.amount) != parsed.amount_cents:
        existing = Receipt.objects.filter(receipt_id=parsed.receipt_id).first()
        if existing is not None:  # a replay of a receipt accepted earlier, whatever it says now
            return _duplicate(existing=existing, parsed=parsed, store=store)
        reason = f"Importo {from_cents(parsed.amount_cents)} diverso da quello dell'avviso {option.amount}"
        logger.warning("Receipt %s rejected: %s", parsed.receipt_id, reason)
        return store(outcome=Outcome.REJECTED, reason=reason), 422

    flags = _flags(notice=notice, option=option, options=options)
    try:
        with transaction.atomic():
            message = store(outcome=Outcome.FLAGGED if flags else Outcome.ACCEPTED, reason="; ".join(flags))
            receipt = Receipt.objects.create(
                receipt_id=parsed.receipt_id,
                message=message,
                notice=notice,
                option=option,
                iuv=parsed.iuv,
                notice_number=parsed.notice_number,
                creditor_fiscal_code=parsed.creditor_fiscal_code,
                amount=from_cents(parsed.amount_cents),
                fee=from_cents(parsed.fee_cents),
                psp_id=parsed.psp_id[:35],
                psp_name=parsed.psp_name[:140],
                psp_fiscal_code=parsed.psp_fiscal_code[:16],
                application_date=parsed.application_date,
                payment_method=parsed.payment_method[:35],
                payer_fiscal_code=parsed.payer_fiscal_code[:16],
                payer_name=parsed.payer_name[:70],
                paid_at=_aware(parsed.paid_at),
                received_at=message.received_at,
                flagged=bool(flags),
                flag_reason="; ".join(flags)[:200],
            )
    except IntegrityError:  # receipt_id is unique: accepted before (a replay, or a copy that got the lock first)
        existing = Receipt.objects.filter(receipt_id=parsed.receipt_id).first()
        if existing is None:
            raise
        return _duplicate(existing=existing, parsed=parsed, store=store)

    if option.paid_at is None:
        option.paid_at = receipt.paid_at
        option.save(update_fields=["paid_at"])
    _notice_settle(notice=notice, options=options, receipt=receipt, flags=flags)
    family_summary_invalidate(child_ids=[notice.child_id])
    if _credits_ledger(notice):
        ledger_record(
            child=notice.child,
            service_kind=notice.service_kind,
            kind=LedgerEntry.Kind.TOPUP if notice.purpose == PaymentNotice.Purpose.TOPUP else LedgerEntry.Kind.PAYMENT,
            amount=receipt.amount,
            notice=notice,
            receipt=receipt,
            reason=f"Pagamento pagoPA {receipt.notice_number}",
        )
    receipt_confirmation_enqueue(notice=notice, option=option, receipt=receipt)
    certificates_refresh_if_issued(child_id=notice.child_id, when=receipt.paid_at)
    if flags:
        logger.warning("Receipt %s accepted and flagged: %s", receipt.receipt_id, "; ".join(flags))
    return message, 200


def _credits_ledger(notice: PaymentNotice) -> bool:
    """A top-up credits its balance; a fee's payment balances its debit, where the ledger has one (a prepaid
    service's fee). A notice-billed service's fee (transport, nursery) is not in the ledger: its receipt is proof."""
    if notice.purpose == PaymentNotice.Purpose.TOPUP:
        return True
    return LedgerEntry.objects.filter(notice_id=notice.pk, kind=LedgerEntry.Kind.FEE).exists()


def _aware(value: datetime.datetime) -> datetime.datetime:
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _duplicate(*, existing: Receipt, parsed: ParsedReceipt, store: Store) -> tuple[ReceiptMessage, int]:
    if existing.notice_number == parsed.notice_number and to_cents(existing.amount) == parsed.amount_cents:
        return store(outcome=Outcome.DUPLICATE, reason=f"Ricevuta {parsed.receipt_id} già registrata"), 200
    logger.error(
        "Receipt id %s reused: registered for %s %s, now for %s %s",
        parsed.receipt_id,
        existing.notice_number,
        existing.amount,
        parsed.notice_number,
        from_cents(parsed.amount_cents),
    )
    return store(outcome=Outcome.REJECTED, reason="Identificativo di ricevuta già usato per un altro pagamento"), 409


def _flags(*, notice: PaymentNotice, option: PaymentOption, options: list[PaymentOption]) -> list[str]:
    """Why the office should look at this payment (stored in Italian, as written)."""
    flags: list[str] = []
    if notice.status == Status.CANCELLED:
        flags.append("Pagato un avviso annullato")
    elif notice.status == Status.EXPIRED:
        flags.append("Pagato dopo la scadenza")
    elif notice.status == Status.PAID:
        flags.append("Avviso già pagato: pagamento doppio")
    if option.paid_at is not None:
        flags.append("Opzione già pagata con un'altra ricevuta")
    elif option.instalment == 0 and any(o.paid_at for o in options if o.instalment):
        flags.append("Pagato per intero un avviso già pagato in parte a rate")
    elif option.instalment and any(o.paid_at for o in options if not o.instalment):
        flags.append("Pagata una rata di un avviso già pagato per intero")
    return list(dict.fromkeys(flags))


def _notice_settle(*, notice: PaymentNotice, options: list[PaymentOption], receipt: Receipt, flags: list[str]) -> None:
    """Paid when the single payment or every instalment is paid; an expired notice too, a cancelled one never.

    The notice's event says what the receipt did: "paid" when it settles it, "payment received" otherwise (an
    instalment, or money taken for a notice that is cancelled or already paid: the flags say why).
    """
    single = next((o for o in options if not o.instalment), None)
    instalments = [o for o in options if o.instalment]
    fully_paid = (single is not None and single.paid_at is not None) or (
        bool(instalments) and all(o.paid_at for o in instalments)
    )
    was = notice.status
    fields = []
    if flags and not notice.flagged:
        notice.flagged = True
        fields.append("flagged")
    if fully_paid and Status.PAID in PaymentNotice.TRANSITIONS[Status(notice.status)]:
        notice.status = Status.PAID
        notice.paid_at = receipt.paid_at
        notice.closed_at = timezone.now()
        fields += ["status", "paid_at", "closed_at"]
        if notice.platform_state == PaymentNotice.PlatformState.VALID:
            notice.platform_state = PaymentNotice.PlatformState.PAID
            fields.append("platform_state")
    if fields:
        notice.save(update_fields=fields)
    paid = notice.status != was
    notice_event_record(
        notice=notice,
        action=PaymentNoticeEvent.Action.PAID if paid else PaymentNoticeEvent.Action.PAYMENT_RECEIVED,
        actor_kind=PaymentNoticeEvent.ActorKind.PLATFORM,
        from_status=was if paid else "",
        to_status=notice.status if paid else "",
        reason="; ".join([f"Ricevuta {receipt.receipt_id} ({receipt.psp_name})", *flags]),
    )
