"""Payment notices: IUV allocation, issue (one or in bulk), cancellation (expiry is in `expiry`).

Publication on the platform is in `positions`, top-ups and carts in `carts`, the data checks in `validation`.

Rules kept here:
- a notice's IUVs and notice numbers come from IuvBase rows (an auto-increment id never handed out twice);
- a notice is issued in one transaction with its options, its "issued" event (and a prepaid service's fee debit:
  see ServiceKind.prepaid); published after commit (a task; `notices_publish_pending_task` retries what did not go);
- a published notice is cancelled on the platform first: if the platform does not answer, the cancellation is
  refused (a notice cancelled here but still payable there could be paid unseen).
"""

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Child, User
from accounts.services import family_summary_invalidate
from enrollment.models import Enrollment, ServiceKind, service_kind_prepaid
from portal.errors import DomainError, TransitionNotAllowedError

from .. import gateway as gateway_module
from .. import pagopa
from ..errors import NotFoundError, NoticeDataError, PlatformRejectedError, PlatformUnavailableError
from ..gateway import GatewayRejectedError, GatewayUnavailableError
from ..models import (
    Creditor,
    IuvBase,
    LedgerEntry,
    PaymentNotice,
    PaymentNoticeEvent,
    PaymentOption,
    SchoolPaymentEvent,
)
from . import positions
from .events import notice_event_build, notice_event_record, notice_events_record_many
from .ledger import ledger_record, ledger_record_many
from .notify import notice_cancelled_notify, notices_issued_notify
from .validation import amount_check, causale_check, instalments_check

Status = PaymentNotice.Status
PlatformState = PaymentNotice.PlatformState

PUBLISH_CHUNK = 200  # notices per publication task after a bulk issue


# --- IUV ---------------------------------------------------------------------------------------------------------


def iuv_allocate(*, count: int, segregation_code: int | None = None) -> list[tuple[str, str]]:
    """`count` new (IUV, notice number) pairs: aux digit 3, the creditor's segregation code (the Comune's by
    default), a never-reused base (one sequence for every creditor: a number is unique whoever it is for)."""
    if count <= 0:
        return []
    now = timezone.now()
    rows = IuvBase.objects.bulk_create([IuvBase(created_at=now) for _n in range(count)], batch_size=2000)
    segregation = int(settings.PAGOPA_SEGREGATION_CODE if segregation_code is None else segregation_code)
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


def _notice_prepare(
    *,
    child: Child,
    service_kind: str,
    purpose: str,
    amount: Decimal | int | str,
    causale: str,
    due_date: datetime.date,
    payer: User | None,
    created_by: User | None = None,
    enrollment: Enrollment | None = None,
    instalments: list[tuple[Decimal, datetime.date]] | None = None,
    period: datetime.date | None = None,
    creditor: Creditor | None = None,
    school_event: SchoolPaymentEvent | None = None,
    voluntary: bool = False,
    today: datetime.date,
    now: datetime.datetime,
) -> _Draft:
    """Check one notice's data and build it (unsaved) with its options; nothing touches the database.

    `period` (a monthly fee: any day of its month, stored as the first) makes the notice unique per enrollment.
    """
    if service_kind not in ServiceKind.values:
        raise NoticeDataError(_("Servizio sconosciuto."))
    if purpose not in PaymentNotice.Purpose.values:
        raise NoticeDataError(_("Tipo di avviso sconosciuto."))
    if child is None or getattr(child, "pk", None) is None:
        raise NoticeDataError(_("Indica il bambino."))
    if payer is None or not getattr(payer, "codice_fiscale", ""):
        raise NoticeDataError(_("Indica il pagatore."))
    value = amount_check(amount)
    names = (child.first_name, child.last_name, getattr(payer, "first_name", ""), getattr(payer, "last_name", ""))
    text = causale_check(causale, names=tuple(" ".join(name.split()) for name in names if name))
    if not isinstance(due_date, datetime.date) or isinstance(due_date, datetime.datetime) or due_date < today:
        raise NoticeDataError(_("La scadenza non può essere nel passato."))
    if period is not None and (not isinstance(period, datetime.date) or isinstance(period, datetime.datetime)):
        raise NoticeDataError(_("Il mese di competenza non è valido."))
    notice = PaymentNotice(
        iupd=f"{creditor.fiscal_code if creditor else settings.PAGOPA_CREDITOR_FISCAL_CODE}{uuid.uuid4().hex}",
        creditor=creditor,
        school_event=school_event,
        voluntary=bool(voluntary),
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
        period=period.replace(day=1) if period else None,
        created_by=created_by,
        created_at=now,
    )
    options = [(0, value, due_date), *instalments_check(instalments, total=value, today=today)]
    return _Draft(notice=notice, options=options)


def _segregation(draft: _Draft) -> int | None:
    creditor = draft.notice.creditor
    return creditor.segregation_code if creditor is not None else None


def _options_build(drafts: list[_Draft]) -> list[PaymentOption]:
    """The drafts' options with new IUVs: one allocation per creditor (each has its own segregation code)."""
    codes = {_segregation(draft) for draft in drafts}
    numbers = {
        code: iter(
            iuv_allocate(count=sum(len(d.options) for d in drafts if _segregation(d) == code), segregation_code=code)
        )
        for code in codes
    }
    options = []
    for draft in drafts:
        for instalment, value, due in draft.options:
            iuv, number = next(numbers[_segregation(draft)])
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


def _debits_ledger(notice: PaymentNotice) -> bool:
    """A prepaid service's fee is debited from its balance; a notice-billed service's notice is itself the debt."""
    return notice.purpose == PaymentNotice.Purpose.FEE and service_kind_prepaid(notice.service_kind)


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


def _issued_event(notice: PaymentNotice) -> PaymentNoticeEvent:
    """Issued by the user who created it (a parent's top-up, the office), else by the portal (beat job)."""
    return notice_event_build(
        notice_id=notice.pk,
        action=PaymentNoticeEvent.Action.ISSUED,
        actor=notice.created_by,
        to_status=Status.ISSUED,
        at=notice.created_at,
    )


@transaction.atomic
def notice_issue(
    *,
    child: Child,
    service_kind: str,
    purpose: str,
    amount: Decimal,
    causale: str,
    due_date: datetime.date,
    payer: User | None,
    created_by: User | None = None,
    enrollment: Enrollment | None = None,
    instalments: list[tuple[Decimal, datetime.date]] | None = None,
) -> PaymentNotice:
    """Issue one notice: the single-payment option (+ one per instalment); a prepaid service's fee debits the ledger.

    The notice is published on the platform after commit (a task); until then it can be paid only once published,
    which `cart_open` does first and the beat job retries. The payer's e-mail (not for top-ups) is written here and
    sent after commit, with the avviso PDF attached.
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
    options = PaymentOption.objects.bulk_create(_options_build([draft]))
    _issued_event(notice).save(force_insert=True)
    family_summary_invalidate(child_ids=[notice.child_id])
    if _debits_ledger(notice):
        ledger_record_many(entries=[_fee_entry(notice)])
    notices_issued_notify(notices=[notice], options=options)  # the payer's e-mail, with the PDF (not top-ups)
    transaction.on_commit(partial(positions.notice_publish_enqueue, notice.pk))
    return notice


@transaction.atomic
def notices_issue_bulk(*, specs: list[dict[str, Any]]) -> int:
    """Issue many notices at once (the yearly fees): the same checks as `notice_issue`, written in bulk.

    Every spec is checked before anything is written; the first invalid one stops the whole batch with its
    position in the message. Returns how many notices were issued.
    """
    today, now = timezone.localdate(), timezone.now()
    drafts = []
    for index, spec in enumerate(specs, start=1):
        try:
            drafts.append(_notice_prepare(**spec, today=today, now=now))
        except DomainError as error:
            raise type(error)(_("Avviso n. %(n)d: %(error)s") % {"n": index, "error": error}) from error
        except TypeError as error:
            raise NoticeDataError(_("Avviso n. %(n)d: dati incompleti.") % {"n": index}) from error
    if not drafts:
        return 0
    notices = PaymentNotice.objects.bulk_create([draft.notice for draft in drafts], batch_size=1000)
    options = PaymentOption.objects.bulk_create(_options_build(drafts), batch_size=1000)
    notice_events_record_many(events=[_issued_event(notice) for notice in notices])
    family_summary_invalidate(child_ids={notice.child_id for notice in notices})
    fees = [_fee_entry(notice) for notice in notices if _debits_ledger(notice)]
    ledger_record_many(entries=fees)
    notices_issued_notify(notices=notices, options=options)  # one e-mail per payer and notice, in one insert
    ids = [notice.pk for notice in notices]
    for start in range(0, len(ids), PUBLISH_CHUNK):
        transaction.on_commit(partial(positions.notices_publish_enqueue, ids[start : start + PUBLISH_CHUNK]))
    return len(notices)


# --- cancel and expire -------------------------------------------------------------------------------------------


def _platform_cancel(notice: PaymentNotice) -> None:
    """Make sure the platform will not take a payment for the notice; raise when that cannot be known."""
    gateway = gateway_module.get_gateway()
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
    if state in {"INVALID", "EXPIRED"}:
        return  # not payable there (GPD takes payments for VALID and PARTIALLY_PAID only; EXPIRED is not invalidable)
    if state in {"PAID", "PARTIALLY_PAID", "REPORTED"}:
        raise TransitionNotAllowedError(
            _("Sulla piattaforma pagoPA l'avviso risulta già pagato: la ricevuta sta arrivando, non si può annullare.")
        )
    raise PlatformRejectedError(_("La piattaforma pagoPA non ha annullato l'avviso: %(error)s") % {"error": refused})


def _cancel_check(notice: PaymentNotice) -> None:
    if Status.CANCELLED not in PaymentNotice.TRANSITIONS[Status(notice.status)]:
        raise TransitionNotAllowedError(
            _("L'avviso è %(status)s: non si può annullare.") % {"status": notice.get_status_display()}
        )
    if notice.options.filter(paid_at__isnull=False).exists():
        raise TransitionNotAllowedError(_("Una parte dell'avviso è già stata pagata: non si può annullare."))


def notice_cancel(*, notice_id: int, actor: User | None, reason: str) -> PaymentNotice:
    """The office cancels an open (or expired) notice: on the platform first, then here; a fee debit is reversed
    (where the ledger has one: a prepaid service's fee, or a notice issued when every fee was debited).

    Refused (nothing changes) when the platform does not answer, or when the notice is paid, even in part.
    Idempotent: cancelling a cancelled notice returns it unchanged. The "cancelled" event keeps who and why, and
    the payer gets an e-mail with the reason (written here, sent after commit).
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
        _cancel_check(notice)
        _platform_cancel(notice)  # under the row lock: a receipt arriving now waits, then finds it cancelled
        was = notice.status
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
        notice_event_record(
            notice=notice,
            action=PaymentNoticeEvent.Action.CANCELLED,
            actor=actor,
            from_status=was,
            to_status=Status.CANCELLED,
            reason=reason,
        )
        family_summary_invalidate(child_ids=[notice.child_id])
        if LedgerEntry.objects.filter(notice=notice, kind=LedgerEntry.Kind.FEE).exists():
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
        notice_cancelled_notify(notice=notice)  # the payer is told why (once: a second call returned above)
    return notice
