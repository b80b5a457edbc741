"""A school's payment events (eventi di pagamento): created by the school's staff, issued in the background (one
notice per pupil, or per family), reminded to the unpaid, cancelled (open notices invalidated on the platform, the
paid ones listed for refund).

Rules kept:
- an event is checked whole before anything is written: a school with no creditor, an amount not above zero, a due
  date in the past, a class of another school, a pupil not of this school, nobody to bill: refused, nothing issued;
- its notices are issued by `notices_issue_bulk` (the same checks and e-mails as every notice), in chunks, by a
  task; the event counts what is issued so the page shows progress; a chunk that fails stops the issue with the
  reason (what was issued stays issued and is published);
- a voluntary contribution's notices are marked voluntary: never expired, never "in arrears", never reminded.
"""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Child, User
from accounts.selectors import reference_adults_of_children
from enrollment.models import Enrollment, School, SchoolClass, SchoolYear, ServiceKind
from portal import mail
from portal.errors import DomainError

from .. import tasks
from ..creditors import creditor_for_school
from ..errors import NoticeDataError, PaymentsError
from ..models import EventKind, PaymentNotice, SchoolPaymentEvent
from .notices import notice_cancel, notices_issue_bulk
from .notify import portal_url
from .validation import CAUSALE_MAX, amount_check

logger = logging.getLogger(__name__)

ISSUE_CHUNK = 500
PUPIL_STATUSES = (Enrollment.Status.SUBMITTED, Enrollment.Status.ACCEPTED)
REMINDER_TEMPLATE = "school_event_reminder"
Status = SchoolPaymentEvent.Status
Target = SchoolPaymentEvent.Target


class EventDataError(PaymentsError):
    default_message = _("Dati dell'evento non validi.")


@dataclass(frozen=True)
class Pupil:
    child: Child
    class_name: str


def school_pupils(*, school: School, year: SchoolYear) -> list[Pupil]:
    """The school's pupils of the year: children with an enrollment there (sent or accepted), with their class."""
    rows = (
        Enrollment.objects.filter(school=school, school_year=year, status__in=PUPIL_STATUSES)
        .select_related("child", "school_class")
        .order_by("child__last_name", "child__first_name", "child_id", "-school_class_id")
    )
    found: dict[int, Pupil] = {}
    for row in rows:
        if row.child_id not in found or (not found[row.child_id].class_name and row.school_class):
            found[row.child_id] = Pupil(row.child, row.school_class.name if row.school_class else "")
    return list(found.values())


def _pupils_by_class(*, school: School, year: SchoolYear) -> dict[int | None, list[int]]:
    rows = Enrollment.objects.filter(school=school, school_year=year, status__in=PUPIL_STATUSES).values_list(
        "school_class_id", "child_id"
    )
    grouped: dict[int | None, list[int]] = defaultdict(list)
    for class_id, child_id in rows:
        grouped[class_id].append(child_id)
    return grouped


@dataclass
class EventDraft:
    school: School
    year: SchoolYear
    title: str
    kind: str
    amount: Decimal | str
    due_date: datetime.date | None
    voluntary: bool = False
    per_family: bool = False
    free_amount: bool = False
    target: str = Target.SCHOOL
    class_ids: list[int] = field(default_factory=list)
    child_ids: list[int] = field(default_factory=list)
    note: str = ""


def _targets(draft: EventDraft) -> list[int]:
    """The children the event is for (ids), checked against the school's own classes and pupils."""
    by_class = _pupils_by_class(school=draft.school, year=draft.year)
    pupils = {child_id for ids in by_class.values() for child_id in ids}
    if draft.target == Target.SCHOOL:
        return sorted(pupils)
    if draft.target == Target.CLASSES:
        if not draft.class_ids:
            raise EventDataError(_("Scegli almeno una classe."))
        own = set(SchoolClass.objects.filter(school=draft.school).values_list("pk", flat=True))
        if not set(draft.class_ids) <= own:
            raise EventDataError(_("Una delle classi scelte non è di questa scuola."))
        return sorted({child_id for class_id in draft.class_ids for child_id in by_class.get(class_id, [])})
    if draft.target == Target.CHILDREN:
        if not draft.child_ids:
            raise EventDataError(_("Scegli almeno un alunno."))
        if not set(draft.child_ids) <= pupils:
            raise EventDataError(_("Uno degli alunni scelti non è iscritto a questa scuola."))
        return sorted(set(draft.child_ids))
    raise EventDataError(_("Scegli a chi è rivolto l'evento."))


def _draft_check(draft: EventDraft, *, today: datetime.date) -> tuple[Decimal, list[int], datetime.date]:
    if creditor_for_school(draft.school.pk) is None:
        raise EventDataError(
            _("La scuola non è ancora un ente creditore su pagoPA: chiedi all'ufficio di abilitarla.")
        )
    if not " ".join(draft.title.split()):
        raise EventDataError(_("Scrivi il titolo dell'evento."))
    if draft.kind not in EventKind.values:
        raise EventDataError(_("Scegli il tipo di pagamento."))
    amount = amount_check(draft.amount)
    if draft.due_date is None or draft.due_date < today:
        raise EventDataError(_("La scadenza non può essere nel passato."))
    due_date = draft.due_date
    if draft.per_family and draft.kind != EventKind.CONTRIBUTION:
        raise EventDataError(_("Un avviso per famiglia si usa solo per il contributo volontario."))
    if draft.free_amount and not (draft.voluntary or draft.kind == EventKind.CONTRIBUTION):
        raise EventDataError(_("L'importo libero si usa solo per i pagamenti volontari."))
    children = _targets(draft)
    if not children:
        raise EventDataError(_("Nessun alunno iscritto corrisponde alla scelta: nessun avviso da emettere."))
    return amount, children, due_date


@transaction.atomic
def school_event_create(*, draft: EventDraft, actor: User) -> SchoolPaymentEvent:
    """Check and record the event; its notices are issued by a task after commit (see the module)."""
    amount, children, due_date = _draft_check(draft, today=timezone.localdate())
    creditor = creditor_for_school(draft.school.pk)
    if creditor is None or not creditor.taxonomy.get(draft.kind):
        raise EventDataError(
            _("Manca il codice di tassonomia pagoPA per «%(kind)s»: chiedi all'ufficio di indicarlo.")
            % {"kind": EventKind(draft.kind).label}
        )
    event = SchoolPaymentEvent.objects.create(
        creditor=creditor,
        school=draft.school,
        school_year=draft.year,
        title=" ".join(draft.title.split())[:100],
        kind=draft.kind,
        amount=amount,
        per_family=draft.per_family,
        free_amount=draft.free_amount,
        voluntary=draft.voluntary or draft.kind == EventKind.CONTRIBUTION,
        due_date=due_date,
        target=draft.target,
        note=draft.note.strip()[:1000],
        created_by=actor,
        planned=len(children),
    )
    if draft.target == Target.CLASSES:
        event.classes.set(draft.class_ids)
    event.children.set(children)  # who it is for, as decided now (a pupil enrolled later is not billed)
    transaction.on_commit(partial(_issue_enqueue, event.pk))
    return event


def _issue_enqueue(event_id: int) -> None:
    try:
        tasks.school_event_issue_task.delay(event_id)
    except Exception:  # the broker may be unreachable in many ways
        logger.warning("School event %s: issue not queued; it can be started again from its page", event_id)


def _causale(event: SchoolPaymentEvent, children: list[Child]) -> str:
    names = ", ".join(f"{child.first_name} {child.last_name}" for child in children)
    text = f"{event.title} - {event.school.name} - {names}"
    return text if len(text) <= CAUSALE_MAX else text[: CAUSALE_MAX - 1].rstrip() + "…"


def _specs(event: SchoolPaymentEvent, child_ids: list[int]) -> tuple[list[dict], list[int]]:
    """The notices to issue (one per child, or per family for a contribution per family) and the children left
    out because nobody can be billed (no active adult of reference)."""
    children = {child.pk: child for child in Child.objects.filter(pk__in=child_ids)}
    payers = reference_adults_of_children(child_ids=child_ids)
    groups: dict[int, list[Child]] = defaultdict(list)
    missing = []
    for child_id in child_ids:
        payer = payers.get(child_id)
        if payer is None or child_id not in children:
            missing.append(child_id)
            continue
        groups[payer.pk if event.per_family else child_id].append(children[child_id])
    specs = []
    for group in groups.values():
        first = group[0]
        specs.append(
            {
                "child": first,
                "service_kind": ServiceKind.SCHOOL,
                "purpose": PaymentNotice.Purpose.FEE,
                "amount": event.amount,
                "causale": _causale(event, group),
                "due_date": event.due_date,
                "payer": payers[first.pk],
                "created_by": event.created_by,
                "creditor": event.creditor,
                "school_event": event,
                "voluntary": event.voluntary,
            }
        )
    return specs, missing


def school_event_issue(*, event_id: int) -> SchoolPaymentEvent:
    """Issue the event's notices in chunks (the task); idempotent: children already billed are skipped."""
    event = SchoolPaymentEvent.objects.select_related("creditor", "school", "created_by").get(pk=event_id)
    if event.status != Status.ISSUING:
        return event
    billed = set(PaymentNotice.objects.filter(school_event=event).values_list("child_id", flat=True))
    wanted = [pk for pk in event.children.order_by("pk").values_list("pk", flat=True) if pk not in billed]
    specs, missing = _specs(event, wanted)
    if event.per_family:  # a family already billed through another child is not billed again
        billed_payers = set(PaymentNotice.objects.filter(school_event=event).values_list("payer_id", flat=True))
        specs = [spec for spec in specs if spec["payer"].pk not in billed_payers]
    try:
        for start in range(0, len(specs), ISSUE_CHUNK):
            count = notices_issue_bulk(specs=specs[start : start + ISSUE_CHUNK])
            SchoolPaymentEvent.objects.filter(pk=event.pk).update(issued=F("issued") + count)
    except DomainError as error:
        SchoolPaymentEvent.objects.filter(pk=event.pk).update(status=Status.FAILED, error=str(error)[:300])
        logger.warning("School event %s: issue stopped: %s", event.pk, error)
        return SchoolPaymentEvent.objects.get(pk=event.pk)
    note = (
        _("%(n)d alunni senza un adulto di riferimento attivo: nessun avviso per loro.") % {"n": len(missing)}
        if missing
        else ""
    )
    SchoolPaymentEvent.objects.filter(pk=event.pk).update(status=Status.ISSUED, error=note[:300])
    return SchoolPaymentEvent.objects.get(pk=event.pk)


# --- reminders and cancellation -----------------------------------------------------------------------------------

OPEN = (PaymentNotice.Status.ISSUED, PaymentNotice.Status.EXPIRED)


def school_event_remind(*, event: SchoolPaymentEvent, actor: User) -> int:
    """Remind the payers of the event's unpaid notices (not for a voluntary event); returns how many. The e-mails
    are rendered and written by a task after commit (an event may have hundreds of unpaid notices)."""
    if event.voluntary:
        raise EventDataError(_("Un contributo volontario non si sollecita."))
    if event.status != Status.ISSUED:
        raise EventDataError(_("Si possono sollecitare solo gli eventi emessi."))
    count = _unpaid_with_address(event).count()
    SchoolPaymentEvent.objects.filter(pk=event.pk).update(reminded_at=timezone.now())
    transaction.on_commit(partial(tasks.school_event_remind_task.delay, event.pk))
    logger.info("School event %s: %s reminders by %s", event.pk, count, actor.pk)
    return count


def _unpaid_with_address(event: SchoolPaymentEvent):  # type: ignore[no-untyped-def]
    return PaymentNotice.objects.filter(
        school_event=event, status__in=OPEN, payer__is_active=True, payer__email__gt=""
    ).select_related("payer", "child", "school_event__school")


def school_event_reminders_write(*, event_id: int) -> int:
    """The task: the reminder e-mails of the event's unpaid notices, written in one insert."""
    notices = _unpaid_with_address(SchoolPaymentEvent(pk=event_id)).order_by("pk")
    emails = [
        mail.TemplateEmail(
            REMINDER_TEMPLATE,
            [notice.payer.email],
            {
                "payer_name": notice.payer_name,
                "school": notice.school_event.school.name,
                "title": notice.school_event.title,
                "child_name": f"{notice.child.first_name} {notice.child.last_name}",
                "amount": notice.amount,
                "due_date": notice.due_date,
                "notice_url": portal_url(reverse("payments:notice_detail", kwargs={"pk": notice.pk})),
                "comune": settings.PORTAL_COMUNE_NAME,
            },
        )
        for notice in notices
        if notice.payer is not None
    ]
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        mail.email_enqueue_many(emails)
    return len(emails)


def school_event_cancel(*, event: SchoolPaymentEvent, actor: User, reason: str) -> SchoolPaymentEvent:
    """Ask to cancel the event: checked here, done by a task after commit (each open notice is invalidated on the
    platform, one call each; see `school_event_cancel_run`). The page shows "annullamento in corso" meanwhile."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise NoticeDataError(_("Scrivi il motivo dell'annullamento."))
    if event.status == Status.ISSUING:
        raise EventDataError(_("Gli avvisi sono ancora in emissione: attendi la fine, poi annulla."))
    if event.status in (Status.CANCELLING, Status.CANCELLED):
        return event
    SchoolPaymentEvent.objects.filter(pk=event.pk).update(
        status=Status.CANCELLING, cancelled_reason=reason[:200], error=""
    )
    transaction.on_commit(partial(tasks.school_event_cancel_task.delay, event.pk, actor.pk))
    event.refresh_from_db()
    return event


def school_event_cancel_run(*, event_id: int, actor: User | None) -> SchoolPaymentEvent:
    """The task: every open notice invalidated on the platform and here (with the reason, e-mailed to the payer);
    paid notices kept (the page lists them for refund). Notices the platform could not invalidate stay open: the
    event goes back to "emesso" with the reason, and cancelling again finishes the work."""
    event = SchoolPaymentEvent.objects.get(pk=event_id)
    if event.status != Status.CANCELLING:
        return event
    refused = []
    notices = PaymentNotice.objects.filter(school_event=event, status__in=OPEN).order_by("pk")
    for notice in notices:
        try:
            notice_cancel(notice_id=notice.pk, actor=actor, reason=event.cancelled_reason)
        except DomainError as error:
            refused.append(f"{notice.causale}: {error}")
    if refused:
        note = _("Alcuni avvisi non sono stati annullati: %(list)s. Riprova più tardi.") % {
            "list": "; ".join(refused[:5])
        }
        SchoolPaymentEvent.objects.filter(pk=event.pk).update(status=Status.ISSUED, error=note[:300])
    else:
        SchoolPaymentEvent.objects.filter(pk=event.pk).update(status=Status.CANCELLED, cancelled_at=timezone.now())
    return SchoolPaymentEvent.objects.get(pk=event.pk)
