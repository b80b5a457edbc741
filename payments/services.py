"""Every write about payments: notices (issue, publish, cancel, expire), top-ups and carts.

The ledger (ledger.py) and the receipt intake (receipts.py) are re-exported from here, so that callers import
every payment action from one module.

Rules kept here:
- a notice's IUVs and notice numbers come from IuvBase rows (an auto-increment id never handed out twice);
- a notice is issued in one transaction with its options (and, for a fee, the ledger debit); it is published
  on the platform after commit (a task; the beat job `notices_publish_pending` retries what did not go);
- only a receipt marks a notice paid (receipts.py): the return from the checkout records what the browser said;
- a published notice is cancelled on the platform first: if the platform does not answer, the cancellation is
  refused (a notice cancelled here but still payable there could be paid unseen).
"""

import datetime
import logging
import re
import secrets
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.selectors import children_for_adult
from enrollment.models import ServiceKind

from . import pagopa
from .errors import (
    AmountError,
    CartError,
    NotFoundError,
    NoticeDataError,
    PaymentsError,
    PlatformRejectedError,
    PlatformUnavailableError,
    TransitionNotAllowedError,
)
from .gateway import (
    CartItem,
    DebtPosition,
    DebtPositionOption,
    GatewayRejectedError,
    GatewayUnavailableError,
    ReturnUrls,
    get_gateway,
)
from .ledger import ledger_adjust, ledger_record, ledger_record_many, ledger_refund, meal_debit
from .models import Cart, IuvBase, LedgerEntry, PaymentNotice, PaymentOption
from .money import CENT, AmountFormatError, parse_euro, quantize_eur, to_cents
from .receipts import receipt_intake

__all__ = [
    "cart_open",
    "cart_return",
    "iuv_allocate",
    "ledger_adjust",
    "ledger_record",
    "ledger_record_many",
    "ledger_refund",
    "meal_debit",
    "notice_cancel",
    "notice_issue",
    "notice_publish",
    "notices_expire_overdue",
    "notices_issue_bulk",
    "notices_publish_pending",
    "receipt_intake",
    "topup_create",
]

logger = logging.getLogger(__name__)

Status = PaymentNotice.Status
PlatformState = PaymentNotice.PlatformState

MAX_NOTICE_AMOUNT = Decimal("999999999.99")  # the largest amount a pagoPA notice prints
MAX_INSTALMENTS = 12
CAUSALE_MAX = 140
# platform_error starts with one of these: the beat job retries "unavailable", never "rejected" (the office looks).
PLATFORM_UNAVAILABLE = "Non raggiungibile"
PLATFORM_REJECTED = "Rifiutato"
PUBLISH_CHUNK = 200
# Words that would put health or income data in a causale (printed on the notice, sent to banks and PSPs).
CAUSALE_FORBIDDEN = re.compile(
    r"\bisee\b|\bdsu\b|diet[ae]|celiac|allerg|intolleran|medic|sanitar|salute|patolog|disabil|handicap|diabet"
    r"|\b(legge|l\.)\s*104\b|\bredditi?\b",
    re.IGNORECASE,
)
SERVICE_WORD = {ServiceKind.CANTEEN: "mensa", ServiceKind.TRANSPORT: "trasporto", ServiceKind.NURSERY: "nido"}
GPD_STATE = {
    "DRAFT": PlatformState.NOT_SENT,
    "PUBLISHED": PlatformState.VALID,
    "VALID": PlatformState.VALID,
    "PARTIALLY_PAID": PlatformState.VALID,
    "EXPIRED": PlatformState.VALID,
    "PAID": PlatformState.PAID,
    "REPORTED": PlatformState.PAID,
    "INVALID": PlatformState.INVALID,
}


# --- checks (no database) ----------------------------------------------------------------------------------------


def euro_text(value: Decimal) -> str:
    """1234.5 → "1.234,50 €" (for messages; templates use the _money partial)."""
    grouped = f"{quantize_eur(value):,.2f}".replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return f"{grouped} €"


def amount_check(amount, *, maximum: Decimal | None = None) -> Decimal:
    """A positive amount in euro with at most two decimals (Decimal, or text as people type it: "12,50")."""
    if isinstance(amount, str):
        try:
            amount = parse_euro(amount)
        except AmountFormatError as error:
            raise AmountError(str(error)) from error
    if isinstance(amount, bool | float) or not isinstance(amount, Decimal | int):
        raise AmountError(_("L'importo deve essere un numero decimale in euro."))
    try:
        value = Decimal(amount)
    except InvalidOperation as error:  # pragma: no cover - Decimal and int always convert
        raise AmountError(_("Importo non valido.")) from error
    if not value.is_finite():
        raise AmountError(_("Importo non valido."))
    if value <= 0:
        raise AmountError(_("L'importo deve essere maggiore di zero."))
    limit = MAX_NOTICE_AMOUNT if maximum is None else min(maximum, MAX_NOTICE_AMOUNT)
    if value > limit:
        raise AmountError(_("L'importo massimo è %(max)s.") % {"max": euro_text(limit)})
    if value != value.quantize(CENT):
        raise AmountError(_("Al massimo due cifre dopo la virgola."))
    return value.quantize(CENT)


def causale_check(text: str) -> str:
    """The causale as printed: one line, 1-140 characters, naming service, period and child, never health or ISEE."""
    cleaned = " ".join((text or "").split())
    if not cleaned:
        raise NoticeDataError(_("Scrivi la causale."))
    if len(cleaned) > CAUSALE_MAX:
        raise NoticeDataError(_("La causale può avere al massimo %(max)d caratteri.") % {"max": CAUSALE_MAX})
    if CAUSALE_FORBIDDEN.search(cleaned):
        raise NoticeDataError(
            _(
                "La causale non può contenere dati sanitari, diete o dati ISEE e di reddito: indica solo servizio, "
                "periodo e bambino."
            )
        )
    return cleaned


def school_year_label(day: datetime.date) -> str:
    """The school year a day belongs to ("2026/2027"), taken to start on 1 September."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{start + 1}"


def topup_causale(*, child, service_kind: str, day: datetime.date) -> str:
    """ "Ricarica mensa - Giulia Rossi - a.s. 2026/2027": always Italian (printed on notice and receipt)."""
    head = f"Ricarica {SERVICE_WORD[service_kind]}"
    tail = f"a.s. {school_year_label(day)}"
    room = CAUSALE_MAX - len(head) - len(tail) - 6
    name = " ".join(f"{child.first_name} {child.last_name}".split())[:room].strip()
    return f"{head} - {name} - {tail}"


# --- IUV ---------------------------------------------------------------------------------------------------------


def iuv_allocate(*, count: int) -> list[tuple[str, str]]:
    """`count` new (IUV, notice number) pairs: aux digit 3, the configured segregation code, a never-reused base."""
    if count <= 0:
        return []
    now = timezone.now()
    rows = IuvBase.objects.bulk_create([IuvBase(created_at=now) for _n in range(count)], batch_size=2000)
    segregation = int(settings.PAGOPA_SEGREGATION_CODE)
    pairs = []
    for row in rows:
        number = pagopa.notice_number(segregation_code=segregation, base=row.pk)
        pairs.append((pagopa.iuv_from_notice_number(number), number))
    return pairs


# --- issue -------------------------------------------------------------------------------------------------------


@dataclass
class _Draft:
    notice: PaymentNotice
    options: list[tuple[int, Decimal, datetime.date]] = field(default_factory=list)  # (instalment, amount, due)


def _instalments_check(
    instalments, *, total: Decimal, today: datetime.date
) -> list[tuple[int, Decimal, datetime.date]]:
    if not instalments:
        return []
    if not 2 <= len(instalments) <= MAX_INSTALMENTS:
        raise NoticeDataError(_("Le rate devono essere da 2 a %(max)d.") % {"max": MAX_INSTALMENTS})
    out = []
    for number, (amount, due) in enumerate(instalments, start=1):
        value = amount_check(amount)
        if not isinstance(due, datetime.date) or due < today:
            raise NoticeDataError(_("La scadenza della rata %(n)d non è valida.") % {"n": number})
        out.append((number, value, due))
    if sum(value for _n, value, _d in out) != total:
        raise NoticeDataError(_("La somma delle rate deve essere uguale all'importo dell'avviso."))
    return out


def _notice_prepare(
    *,
    child,
    service_kind: str,
    purpose: str,
    amount,
    causale: str,
    due_date: datetime.date,
    payer,
    created_by=None,
    enrollment=None,
    instalments=None,
    today: datetime.date,
    now: datetime.datetime,
) -> _Draft:
    """Check one notice's data and build it (unsaved) with its options; nothing touches the database."""
    if service_kind not in ServiceKind.values:
        raise NoticeDataError(_("Servizio sconosciuto."))
    if purpose not in PaymentNotice.Purpose.values:
        raise NoticeDataError(_("Tipo di avviso sconosciuto."))
    if child is None or getattr(child, "pk", None) is None:
        raise NoticeDataError(_("Indica il bambino."))
    if payer is None or not getattr(payer, "codice_fiscale", ""):
        raise NoticeDataError(_("Indica il pagatore."))
    value = amount_check(amount)
    text = causale_check(causale)
    if not isinstance(due_date, datetime.date) or isinstance(due_date, datetime.datetime) or due_date < today:
        raise NoticeDataError(_("La scadenza non può essere nel passato."))
    notice = PaymentNotice(
        iupd=f"{settings.PAGOPA_CREDITOR_FISCAL_CODE}{uuid.uuid4().hex}",
        status=Status.ISSUED,
        purpose=purpose,
        service_kind=service_kind,
        child=child,
        enrollment=enrollment,
        payer=payer,
        payer_fiscal_code=payer.codice_fiscale.upper()[:16],
        payer_name=" ".join(f"{payer.first_name} {payer.last_name}".split())[:70],
        causale=text,
        amount=value,
        due_date=due_date,
        created_by=created_by,
        created_at=now,
    )
    options = [(0, value, due_date), *_instalments_check(instalments, total=value, today=today)]
    return _Draft(notice=notice, options=options)


def _options_build(drafts: list[_Draft]) -> list[PaymentOption]:
    numbers = iter(iuv_allocate(count=sum(len(draft.options) for draft in drafts)))
    options = []
    for draft in drafts:
        for instalment, value, due in draft.options:
            iuv, number = next(numbers)
            options.append(
                PaymentOption(
                    notice_id=draft.notice.pk,
                    iuv=iuv,
                    notice_number=number,
                    amount=value,
                    due_date=due,
                    instalment=instalment,
                )
            )
    return options


def _fee_entry(notice: PaymentNotice) -> LedgerEntry:
    return LedgerEntry(
        child_id=notice.child_id,
        service_kind=notice.service_kind,
        kind=LedgerEntry.Kind.FEE,
        amount=-notice.amount,
        notice_id=notice.pk,
        reference=notice.iupd,
        reason=notice.causale[:200],
        created_by=notice.created_by,
    )


@transaction.atomic
def notice_issue(
    *,
    child,
    service_kind: str,
    purpose: str,
    amount: Decimal,
    causale: str,
    due_date: datetime.date,
    payer,
    created_by=None,
    enrollment=None,
    instalments: list[tuple[Decimal, datetime.date]] | None = None,
) -> PaymentNotice:
    """Issue one notice: the single-payment option (+ one option per instalment); a fee also debits the ledger.

    The notice is published on the platform after commit (a task); until then it can be paid only once published,
    which `cart_open` does first and the beat job retries.
    """
    draft = _notice_prepare(
        child=child,
        service_kind=service_kind,
        purpose=purpose,
        amount=amount,
        causale=causale,
        due_date=due_date,
        payer=payer,
        created_by=created_by,
        enrollment=enrollment,
        instalments=instalments,
        today=timezone.localdate(),
        now=timezone.now(),
    )
    notice = draft.notice
    notice.save(force_insert=True)
    PaymentOption.objects.bulk_create(_options_build([draft]))
    if notice.purpose == PaymentNotice.Purpose.FEE:
        ledger_record_many(entries=[_fee_entry(notice)])
    transaction.on_commit(partial(_publish_dispatch, notice.pk))
    return notice


@transaction.atomic
def notices_issue_bulk(*, specs: list[dict]) -> int:
    """Issue many notices at once (the yearly fees): the same checks as `notice_issue`, written in bulk.

    Every spec is checked before anything is written; the first invalid one stops the whole batch with its
    position in the message. Returns how many notices were issued.
    """
    today, now = timezone.localdate(), timezone.now()
    drafts = []
    for index, spec in enumerate(specs, start=1):
        try:
            drafts.append(_notice_prepare(**spec, today=today, now=now))
        except PaymentsError as error:
            raise type(error)(_("Avviso n. %(n)d: %(error)s") % {"n": index, "error": error}) from error
        except TypeError as error:
            raise NoticeDataError(_("Avviso n. %(n)d: dati incompleti.") % {"n": index}) from error
    if not drafts:
        return 0
    notices = PaymentNotice.objects.bulk_create([draft.notice for draft in drafts], batch_size=1000)
    PaymentOption.objects.bulk_create(_options_build(drafts), batch_size=1000)
    fees = [_fee_entry(notice) for notice in notices if notice.purpose == PaymentNotice.Purpose.FEE]
    ledger_record_many(entries=fees)
    ids = [notice.pk for notice in notices]
    for start in range(0, len(ids), PUBLISH_CHUNK):
        transaction.on_commit(partial(_publish_many_dispatch, ids[start : start + PUBLISH_CHUNK]))
    return len(notices)


# --- publish on the platform -------------------------------------------------------------------------------------


def _publish_dispatch(notice_id: int) -> None:
    """Queue the publication; a broker outage (or the platform down, with eager tasks) leaves it to the beat job."""
    from .tasks import notice_publish_task

    try:
        notice_publish_task.delay(notice_id)
    except Exception:  # the broker may be unreachable in many ways (kombu, redis, socket errors)
        logger.warning("Notice %s: publication not queued, the beat job will retry", notice_id, exc_info=True)


def _publish_many_dispatch(notice_ids: list[int]) -> None:
    from .tasks import notices_publish_pending

    try:
        notices_publish_pending.delay(ids=notice_ids)
    except Exception:  # as above
        logger.warning("%s notices: publication not queued, the beat job will retry", len(notice_ids), exc_info=True)


def debt_position_of(notice: PaymentNotice, options: list[PaymentOption]) -> DebtPosition:
    count = sum(1 for option in options if option.instalment)
    return DebtPosition(
        iupd=notice.iupd,
        payer_fiscal_code=notice.payer_fiscal_code,
        payer_name=notice.payer_name,
        payer_email=notice.payer.email if notice.payer_id and notice.payer.is_active else "",
        company_name=settings.PAGOPA_CREDITOR_NAME,
        office_name=settings.PAGOPA_CREDITOR_OFFICE,
        taxonomy_code=settings.PAGOPA_TAXONOMY[notice.service_kind],
        iban=settings.PAGOPA_CREDITOR_IBAN,
        options=[
            DebtPositionOption(
                iuv=option.iuv,
                notice_number=option.notice_number,
                amount_cents=to_cents(option.amount),
                due_date=option.due_date,
                description=(
                    f"{notice.causale[: CAUSALE_MAX - 14]} - rata {option.instalment}/{count}"
                    if option.instalment
                    else notice.causale
                ),
                is_partial_payment=bool(option.instalment),
            )
            for option in options
        ],
    )


def _platform_error_record(notice_id: int, text: str) -> None:
    PaymentNotice.objects.filter(pk=notice_id, platform_state=PlatformState.NOT_SENT).update(platform_error=text[:300])


def notice_publish(*, notice_id: int) -> str:
    """Create the notice's debt position on the platform, once; returns the platform state ("" = not there).

    Idempotent: a notice already on the platform, or no longer open, is left alone; a duplicate answer (409: an
    earlier attempt arrived) reads the position back. Raises GatewayUnavailableError (the beat job retries) or
    PlatformRejectedError (recorded in platform_error for the office; not retried).
    """
    notice = PaymentNotice.objects.select_related("payer").filter(pk=notice_id).first()
    if notice is None or notice.platform_state or notice.status != Status.ISSUED:
        return notice.platform_state if notice is not None else ""
    gateway = get_gateway()
    position = debt_position_of(notice, list(notice.options.all()))
    try:
        try:
            state = gateway.debt_position_create(position=position)
        except GatewayRejectedError as error:
            if error.status != 409:
                raise
            state = gateway.debt_position_status(iupd=notice.iupd)  # created by an earlier attempt
    except GatewayUnavailableError as error:
        _platform_error_record(notice_id, f"{PLATFORM_UNAVAILABLE}: {error}")
        raise
    except GatewayRejectedError as error:
        _platform_error_record(notice_id, f"{PLATFORM_REJECTED} ({error.status} {error.code}): {error}")
        logger.error("Notice %s refused by the platform: %s %s %s", notice_id, error.status, error.code, error)
        raise PlatformRejectedError(
            _("La piattaforma pagoPA ha rifiutato l'avviso «%(causale)s»: %(error)s")
            % {"causale": notice.causale, "error": error}
        ) from error
    mapped = GPD_STATE.get(str(state).upper(), PlatformState.VALID)
    with transaction.atomic():
        notice = PaymentNotice.objects.select_for_update().get(pk=notice_id)
        if not notice.platform_state:
            notice.platform_state = mapped
            notice.platform_error = ""
            notice.save(update_fields=["platform_state", "platform_error"])
        cancelled_meanwhile = notice.status == Status.CANCELLED and notice.platform_state == PlatformState.VALID
    if cancelled_meanwhile:  # cancelled here while the position was being created there: cancel it there too
        _invalidate_late(notice_id=notice_id, iupd=notice.iupd)
    return notice.platform_state


def _invalidate_late(*, notice_id: int, iupd: str) -> None:
    try:
        get_gateway().debt_position_invalidate(iupd=iupd)
    except (GatewayUnavailableError, GatewayRejectedError):
        logger.error("Notice %s was cancelled while being published and is still VALID on the platform", notice_id)
        PaymentNotice.objects.filter(pk=notice_id).update(
            platform_error="Annullato qui ma ancora valido sulla piattaforma: annullarlo di nuovo"
        )
        return
    PaymentNotice.objects.filter(pk=notice_id).update(platform_state=PlatformState.INVALID, platform_error="")


def notices_publish_pending(*, ids: list[int] | None = None, limit: int = 500, min_age_seconds: int = 30) -> int:
    """Publish open notices not yet on the platform (never those it refused); stops when the platform is down.

    Without `ids`, only notices older than `min_age_seconds` (the newest have a task of their own on the way).
    Returns how many were published by this call.
    """
    pending = PaymentNotice.objects.filter(status=Status.ISSUED, platform_state=PlatformState.NOT_SENT).exclude(
        platform_error__startswith=PLATFORM_REJECTED
    )
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    else:
        pending = pending.filter(created_at__lte=timezone.now() - datetime.timedelta(seconds=min_age_seconds))
    published = 0
    for notice_id in pending.order_by("pk").values_list("pk", flat=True)[:limit]:
        try:
            if notice_publish(notice_id=notice_id):
                published += 1
        except GatewayUnavailableError:
            logger.warning("pagoPA unavailable: publication of pending notices stops at notice %s", notice_id)
            break
        except PlatformRejectedError:
            continue
    return published


# --- top-up ------------------------------------------------------------------------------------------------------


def _family_child(*, user, child_id):
    try:
        pk = int(child_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError from error
    child = children_for_adult(user=user).filter(pk=pk).first()
    if child is None:
        raise NotFoundError
    return child


def topup_create(*, user, child_id: int, service_kind: str, amount: Decimal) -> PaymentNotice:
    """A parent asks to top up a child's balance: a notice for that amount; the balance moves with its receipt."""
    child = _family_child(user=user, child_id=child_id)
    if service_kind not in ServiceKind.values:
        raise NoticeDataError(_("Scegli il servizio da ricaricare."))
    value = amount_check(amount, maximum=settings.PAYMENTS_TOPUP_MAX)
    today = timezone.localdate()
    return notice_issue(
        child=child,
        service_kind=service_kind,
        purpose=PaymentNotice.Purpose.TOPUP,
        amount=value,
        causale=topup_causale(child=child, service_kind=service_kind, day=today),
        due_date=today + datetime.timedelta(days=settings.PAYMENTS_TOPUP_DUE_DAYS),
        payer=user,
        created_by=user,
    )


# --- cart (pay online) -------------------------------------------------------------------------------------------


CART_OUTCOMES = {
    "ok": Cart.Status.RETURNED_OK,
    "cancel": Cart.Status.CANCELLED,
    "error": Cart.Status.FAILED,
    "waiting": Cart.Status.PENDING,
}


def payable_option(notice: PaymentNotice) -> PaymentOption | None:
    """What a cart pays for a notice: the single payment, or the next unpaid instalment once one is paid."""
    options = sorted(notice.options.all(), key=lambda option: option.instalment)
    if not any(option.paid_at for option in options):
        return options[0] if options else None
    return next((option for option in options if option.instalment and option.paid_at is None), None)


def _return_urls_for(urls: ReturnUrls, public_id: str) -> ReturnUrls:
    """The view may write "{public_id}" (or its URL-quoted form) where the cart's id goes."""

    def fill(url: str) -> str:
        return url.replace("{public_id}", public_id).replace("%7Bpublic_id%7D", public_id)

    return ReturnUrls(ok=fill(urls.ok), cancel=fill(urls.cancel), error=fill(urls.error), waiting=fill(urls.waiting))


def _cart_notices(*, user, notice_ids) -> list[PaymentNotice]:
    try:
        ids = list(dict.fromkeys(int(pk) for pk in notice_ids))
    except (TypeError, ValueError) as error:
        raise NotFoundError from error
    maximum = settings.PAYMENTS_CART_MAX
    if not 1 <= len(ids) <= maximum:
        raise CartError(
            ngettext(
                "Puoi pagare insieme al massimo %(max)d avviso.",
                "Puoi pagare insieme al massimo %(max)d avvisi.",
                maximum,
            )
            % {"max": maximum}
            if ids
            else _("Scegli almeno un avviso da pagare.")
        )
    found = {
        notice.pk: notice
        for notice in PaymentNotice.objects.filter(pk__in=ids, child__in=children_for_adult(user=user))
        .select_related("child")
        .prefetch_related("options")
    }
    if len(found) != len(ids):
        raise NotFoundError
    notices = [found[pk] for pk in ids]
    closed = [notice for notice in notices if notice.status != Status.ISSUED]
    if closed:
        raise CartError(
            ngettext(
                "Questo avviso non si può più pagare: %(list)s.",
                "Questi avvisi non si possono più pagare: %(list)s.",
                len(closed),
            )
            % {"list": "; ".join(f"«{n.causale}» ({n.get_status_display()})" for n in closed)}
        )
    return notices


def cart_open(*, user, notice_ids: list[int], return_urls: ReturnUrls) -> Cart:
    """Open an online payment for 1-5 of the family's open notices; returns the cart with its checkout URL.

    Notices not yet on the platform are published first. GatewayUnavailableError reaches the caller (the view
    says the platform is down and offers the printed notice); a refusal becomes a CartError.
    """
    notices = _cart_notices(user=user, notice_ids=notice_ids)
    for notice in notices:
        if not notice.platform_state:
            try:
                notice_publish(notice_id=notice.pk)
            except PlatformRejectedError as error:
                raise CartError(str(error)) from error
    states = dict(PaymentNotice.objects.filter(pk__in=[n.pk for n in notices]).values_list("pk", "platform_state"))
    not_payable = [n for n in notices if states.get(n.pk) != PlatformState.VALID]
    if not_payable:
        raise CartError(
            _("Questi avvisi non si possono pagare online ora: %(list)s. Riprova tra qualche minuto.")
            % {"list": "; ".join(f"«{n.causale}»" for n in not_payable)}
        )
    items = []
    for notice in notices:
        option = payable_option(notice)
        if option is None:
            raise CartError(_("L'avviso «%(causale)s» risulta già pagato.") % {"causale": notice.causale})
        items.append(
            CartItem(
                notice_number=option.notice_number,
                creditor_fiscal_code=settings.PAGOPA_CREDITOR_FISCAL_CODE,
                amount_cents=to_cents(option.amount),
                company_name=settings.PAGOPA_CREDITOR_NAME,
                description=notice.causale,
            )
        )
    with transaction.atomic():
        cart = Cart.objects.create(public_id=secrets.token_hex(16), user=user, status=Cart.Status.CREATED)
        cart.notices.set(notices)
    try:
        url = get_gateway().checkout_open(
            items=items,
            return_urls=_return_urls_for(return_urls, cart.public_id),
            email=user.email,
            cart_id=cart.public_id,
        )
    except (GatewayUnavailableError, GatewayRejectedError) as error:
        Cart.objects.filter(pk=cart.pk).update(status=Cart.Status.FAILED, updated_at=timezone.now())
        if isinstance(error, GatewayRejectedError):
            logger.error("Checkout refused for cart %s: %s %s %s", cart.public_id, error.status, error.code, error)
            raise CartError(
                _("La piattaforma pagoPA non ha accettato il pagamento: %(error)s") % {"error": error}
            ) from error
        raise
    cart.status = Cart.Status.PENDING
    cart.checkout_url = url[:500]
    cart.save(update_fields=["status", "checkout_url", "updated_at"])
    return cart


@transaction.atomic
def cart_return(*, user, public_id: str, outcome: str) -> Cart:
    """Record where the checkout sent the browser back (ok, cancel, error, waiting). Never marks anything paid."""
    cart = Cart.objects.select_for_update().filter(public_id=str(public_id)[:32], user=user).first()
    if cart is None:
        raise NotFoundError
    status = CART_OUTCOMES.get(outcome, Cart.Status.PENDING)
    if cart.status in (Cart.Status.CREATED, Cart.Status.PENDING) and cart.status != status:
        cart.status = status
        cart.save(update_fields=["status", "updated_at"])
    return cart


# --- cancel and expire -------------------------------------------------------------------------------------------


def _platform_cancel(notice: PaymentNotice) -> None:
    """Make sure the platform will not take a payment for the notice; raise when that cannot be known."""
    gateway = get_gateway()
    if notice.platform_state == PlatformState.INVALID:
        return
    if not notice.platform_state and not notice.platform_error:
        return  # never sent (a publication on its way checks the status afterwards: see notice_publish)
    try:
        gateway.debt_position_invalidate(iupd=notice.iupd)
        return
    except GatewayUnavailableError as error:
        raise PlatformUnavailableError(
            _(
                "La piattaforma pagoPA non risponde: l'avviso non è stato annullato, perché resterebbe pagabile. "
                "Riprova più tardi."
            )
        ) from error
    except GatewayRejectedError as error:
        refused = error
    try:
        state = gateway.debt_position_status(iupd=notice.iupd)
    except GatewayUnavailableError as error:
        raise PlatformUnavailableError from error
    except GatewayRejectedError as error:
        if error.status == 404:
            return  # the platform does not know it: nothing can be paid there
        raise PlatformRejectedError(str(error)) from error
    state = str(state).upper()
    if state == "INVALID":
        return
    if state in {"PAID", "PARTIALLY_PAID", "REPORTED"}:
        raise TransitionNotAllowedError(
            _("Sulla piattaforma pagoPA l'avviso risulta già pagato: la ricevuta sta arrivando, non si può annullare.")
        )
    raise PlatformRejectedError(_("La piattaforma pagoPA non ha annullato l'avviso: %(error)s") % {"error": refused})


def notice_cancel(*, notice_id: int, actor, reason: str) -> PaymentNotice:
    """The office cancels an open (or expired) notice: on the platform first, then here; a fee debit is reversed.

    Refused (nothing changes) when the platform does not answer, or when the notice is paid, even in part.
    Idempotent: cancelling a cancelled notice returns it unchanged.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise NoticeDataError(_("Scrivi il motivo dell'annullamento."))
    with transaction.atomic():
        notice = PaymentNotice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None:
            raise NotFoundError
        if notice.status == Status.CANCELLED:
            return notice
        if Status.CANCELLED not in PaymentNotice.TRANSITIONS[notice.status]:
            raise TransitionNotAllowedError(
                _("L'avviso è %(status)s: non si può annullare.") % {"status": notice.get_status_display()}
            )
        if notice.options.filter(paid_at__isnull=False).exists():
            raise TransitionNotAllowedError(_("Una parte dell'avviso è già stata pagata: non si può annullare."))
        _platform_cancel(notice)  # under the row lock: a receipt arriving now waits, then finds it cancelled
        if notice.platform_state or notice.platform_error:
            notice.platform_state = PlatformState.INVALID
        notice.platform_error = ""
        notice.status = Status.CANCELLED
        notice.closed_at = timezone.now()
        notice.closed_by = actor
        notice.closed_reason = reason[:200]
        notice.save(
            update_fields=["status", "closed_at", "closed_by", "closed_reason", "platform_state", "platform_error"]
        )
        if notice.purpose == PaymentNotice.Purpose.FEE:
            ledger_record(
                child=notice.child,
                service_kind=notice.service_kind,
                kind=LedgerEntry.Kind.ADJUSTMENT,
                amount=notice.amount,
                notice=notice,
                reference=f"annullamento-{notice.iupd}",
                reason=f"Annullamento dell'avviso «{notice.causale}»: {reason}"[:200],
                actor=actor,
            )
    return notice


def notices_expire_overdue(*, today: datetime.date | None = None) -> int:
    """Open notices whose every unpaid option is past its due date become expired (the daily beat job).

    A receipt that arrives later is still accepted (and flagged for the office).
    """
    today = today or timezone.localdate()
    still_open = PaymentOption.objects.filter(notice=OuterRef("pk"), paid_at__isnull=True, due_date__gte=today)
    overdue = PaymentNotice.objects.filter(status=Status.ISSUED, due_date__lt=today).filter(~Exists(still_open))
    # One UPDATE: a row a receipt is paying right now is re-checked after its lock (status must still be issued).
    return PaymentNotice.objects.filter(pk__in=overdue.values("pk"), status=Status.ISSUED).update(
        status=Status.EXPIRED, closed_at=timezone.now()
    )
