"""The office's writes: review (accept, reject, waiting list), one by one and in bulk, diets, exemptions, expired
ISEE, and the health data only staff with `enrollment.view_health_data` may open (every access logged).

Re-exported by `enrollment.services`. Bulk actions take constant queries whatever the number of items (rows
locked, updated and logged in a few statements; e-mails rendered per item and written in one insert); an item
that may not move is skipped and never half-applied. They return how many changed.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from portal.errors import ReasonRequiredError, TransitionNotAllowedError

from .errors import ENROLLMENT_STATE_CHANGED, EnrollmentNotFoundError, InvalidChoiceError
from .hooks import enrollments_accepted_notify
from .models import HEALTH_PERMISSION, Enrollment, HealthDataAccess, MedicalDiet, Route
from .services_common import (
    Mail,
    enrollment_lock,
    event_record,
    mails_send,
    routes_lock,
    seats_offer,
    seats_taken,
    tariff_day,
    tariff_for,
    transition_many,
    transition_one,
)

Status = Enrollment.Status
REVIEWABLE = (Status.SUBMITTED, Status.WAITLISTED)
OPEN_AFTER_SUBMIT = (Status.SUBMITTED, Status.WAITLISTED, Status.ACCEPTED)
REASON_MAX = 2000


def _reason_clean(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequiredError
    if len(reason) > REASON_MAX:
        raise ReasonRequiredError(gettext("Il motivo è troppo lungo: al massimo 2000 caratteri."))
    return reason


# --- one by one ------------------------------------------------------------------------------------------------


@transaction.atomic
def enrollment_accept(*, enrollment: Enrollment, actor: User) -> Enrollment:
    """SUBMITTED or WAITLISTED → ACCEPTED (transport: a waiting one needs a free seat, else CapacityError)."""
    enrollment = transition_one(
        enrollment=enrollment, actor=actor, target=Status.ACCEPTED, allowed_from=REVIEWABLE, action="accepted"
    )
    _fees_issue([enrollment.pk], actor)
    return enrollment


def _fees_issue(enrollment_ids: list[int], actor: User) -> None:
    """Accepted enrollments may owe a fee (transport's yearly fee): the hooks other apps registered (payments)
    issue it in the same transaction."""
    enrollments_accepted_notify(enrollment_ids=enrollment_ids, actor=actor)


@transaction.atomic
def enrollment_reject(*, enrollment: Enrollment, actor: User, reason: str) -> Enrollment:
    """SUBMITTED or WAITLISTED → REJECTED with a reason the parent reads; a freed seat goes to the first waiting."""
    return transition_one(
        enrollment=enrollment,
        actor=actor,
        target=Status.REJECTED,
        allowed_from=REVIEWABLE,
        action="rejected",
        reason=_reason_clean(reason),
        offer_freed_seats=True,
    )


@transaction.atomic
def enrollment_waitlist(*, enrollment: Enrollment, actor: User) -> Enrollment:
    """SUBMITTED → WAITLISTED by the office (the seat it held is not offered to others)."""
    return transition_one(
        enrollment=enrollment,
        actor=actor,
        target=Status.WAITLISTED,
        allowed_from=(Status.SUBMITTED,),
        action="waitlisted",
    )


@transaction.atomic
def enrollment_unwaitlist(*, enrollment: Enrollment, actor: User) -> Enrollment:
    """WAITLISTED → SUBMITTED (back in review) when a seat is free on its route, else CapacityError."""
    return transition_one(
        enrollment=enrollment,
        actor=actor,
        target=Status.SUBMITTED,
        allowed_from=(Status.WAITLISTED,),
        action="unwaitlisted",
    )


@transaction.atomic
def enrollment_waitlist_rank_set(*, enrollment: Enrollment, actor: User, rank: int | None) -> Enrollment:
    """The office's ranking on the waiting list (1 first; None: submission order after the ranked ones)."""
    if rank is not None:
        try:
            rank = int(rank)
        except (TypeError, ValueError):
            rank = 0
        if not 1 <= rank <= 1_000_000:
            raise InvalidChoiceError(gettext("La posizione deve essere un numero da 1 in su."), field="rank")
    _route, locked = enrollment_lock(enrollment.pk)
    if locked.waitlist_rank == rank:
        return locked
    if locked.status not in REVIEWABLE:
        raise TransitionNotAllowedError(ENROLLMENT_STATE_CHANGED)
    locked.waitlist_rank = rank
    locked.save(update_fields=["waitlist_rank", "updated_at"])
    event_record(
        enrollment=locked,
        actor=actor,
        from_status=locked.status,
        to_status=locked.status,
        action="waitlist_rank_set",
        note=f"Posizione assegnata: {rank}." if rank else "Posizione assegnata tolta: ordine di invio.",
    )
    return locked


@transaction.atomic
def enrollment_diet_decide(*, enrollment: Enrollment, actor: User, accepted: bool, note: str = "") -> Enrollment:
    """Accept or reject a requested special diet; the parent is e-mailed (never the medical details, nor the note,
    which stays in the enrollment's history for the office)."""
    _route, locked = enrollment_lock(enrollment.pk)
    target = Enrollment.DietStatus.ACCEPTED if accepted else Enrollment.DietStatus.REJECTED
    if locked.diet_status == target:
        return locked
    if locked.diet_status == Enrollment.DietStatus.NONE or locked.status not in OPEN_AFTER_SUBMIT:
        raise TransitionNotAllowedError(gettext("Per questa iscrizione non c'è una richiesta di dieta da decidere."))
    locked.diet_status = target
    locked.save(update_fields=["diet_status", "updated_at"])
    event_record(
        enrollment=locked,
        actor=actor,
        from_status=locked.status,
        to_status=locked.status,
        action="diet_accepted" if accepted else "diet_rejected",
        note=(note or "").strip(),
    )
    mails_send([Mail("enrollment_diet_accepted" if accepted else "enrollment_diet_rejected", locked)])
    return locked


def _tariff_refreeze(locked: Enrollment) -> None:
    if locked.status == Status.DRAFT or locked.tariff_amount is None:
        return
    tariff = tariff_for(enrollment=locked, sibling_rank=locked.sibling_rank, today=tariff_day(locked))
    locked.tariff_amount = tariff.amount
    locked.tariff_steps = tariff.steps


@transaction.atomic
def enrollment_exemption_set(*, enrollment: Enrollment, actor: User, percent: int, reason: str) -> Enrollment:
    """A full (100) or partial exemption with the office's reason; the frozen tariff is computed again."""
    try:
        percent = int(percent)
    except (TypeError, ValueError):
        percent = -1
    if not 0 <= percent <= 100:
        raise InvalidChoiceError(gettext("L'esenzione è una percentuale da 0 a 100."), field="percent")
    reason = _reason_clean(reason)[:200]
    _route, locked = enrollment_lock(enrollment.pk)
    if locked.exemption_percent == percent and locked.exemption_reason == reason:
        return locked
    if locked.status not in (Status.DRAFT, *OPEN_AFTER_SUBMIT):
        raise TransitionNotAllowedError(ENROLLMENT_STATE_CHANGED)
    locked.exemption_percent = percent
    locked.exemption_reason = reason
    _tariff_refreeze(locked)
    locked.save(update_fields=["exemption_percent", "exemption_reason", "tariff_amount", "tariff_steps", "updated_at"])
    event_record(
        enrollment=locked,
        actor=actor,
        from_status=locked.status,
        to_status=locked.status,
        action="exemption_set",
        note=f"Esenzione {percent}%: {reason}",
    )
    return locked


@transaction.atomic
def enrollment_isee_expired_accept(*, enrollment: Enrollment, actor: User) -> Enrollment:
    """The office accepts an expired ISEE: the tariff uses it (computed again if already frozen)."""
    _route, locked = enrollment_lock(enrollment.pk)
    if locked.isee_expired_accepted:
        return locked
    if locked.status not in (Status.DRAFT, *OPEN_AFTER_SUBMIT) or not locked.isee_presented:
        raise TransitionNotAllowedError(ENROLLMENT_STATE_CHANGED)
    locked.isee_expired_accepted = True
    _tariff_refreeze(locked)
    locked.save(update_fields=["isee_expired_accepted", "tariff_amount", "tariff_steps", "updated_at"])
    event_record(
        enrollment=locked,
        actor=actor,
        from_status=locked.status,
        to_status=locked.status,
        action="isee_expired_accepted",
    )
    return locked


@transaction.atomic
def route_waitlist_fill(*, route: Route, actor: User | None) -> int:
    """Give every free seat of a route to the first waiting (after the office raised its capacity)."""
    routes = routes_lock([route.pk])
    if not routes:
        raise EnrollmentNotFoundError
    locked = routes[route.pk]
    taken = seats_taken([locked.pk])[locked.pk]
    return len(seats_offer(route=locked, taken=taken, actor=actor, now=timezone.now()))


# --- in bulk ---------------------------------------------------------------------------------------------------


@transaction.atomic
def enrollments_accept_bulk(*, enrollment_ids: list[int], actor: User) -> int:
    """Accept many; the ones that may not be accepted (state, no seat) are skipped. Returns how many changed."""
    outcome = transition_many(
        enrollment_ids=enrollment_ids, actor=actor, target=Status.ACCEPTED, allowed_from=REVIEWABLE, action="accepted"
    )
    _fees_issue([row.pk for row in outcome.changed], actor)
    return len(outcome.changed)


@transaction.atomic
def enrollments_reject_bulk(*, enrollment_ids: list[int], actor: User, reason: str) -> int:
    """Reject many with one reason; freed seats go to the first waiting not in the batch. Returns how many changed."""
    outcome = transition_many(
        enrollment_ids=enrollment_ids,
        actor=actor,
        target=Status.REJECTED,
        allowed_from=REVIEWABLE,
        action="rejected",
        reason=_reason_clean(reason),
        offer_freed_seats=True,
    )
    return len(outcome.changed)


@transaction.atomic
def enrollments_waitlist_bulk(*, enrollment_ids: list[int], actor: User) -> int:
    """Put many submitted enrollments on the waiting list. Returns how many changed."""
    outcome = transition_many(
        enrollment_ids=enrollment_ids,
        actor=actor,
        target=Status.WAITLISTED,
        allowed_from=(Status.SUBMITTED,),
        action="waitlisted",
    )
    return len(outcome.changed)


# --- health data -----------------------------------------------------------------------------------------------


def health_data_access_record(
    *, user: User, enrollment: Enrollment | None, action: str, detail: str = ""
) -> HealthDataAccess:
    """Log one view, download or export of health data (append-only; the detail never carries the data)."""
    if action not in HealthDataAccess.Action.values:
        raise ValueError(f"unknown health data action {action!r}")
    return HealthDataAccess.objects.create(
        user=user, enrollment=enrollment, action=action, detail=(detail or "")[:200], at=timezone.now()
    )


def _health_check(user: User) -> None:
    if not (user.is_active and user.is_staff and user.has_perm(HEALTH_PERMISSION)):
        raise PermissionDenied


@transaction.atomic
def medical_diet_get_for_staff(*, user: User, enrollment_id: int) -> MedicalDiet:
    """The medical diet of an enrollment for staff with the health data permission (else PermissionDenied);
    the access is logged. No medical diet → EnrollmentNotFoundError (404)."""
    _health_check(user)
    diet = MedicalDiet.objects.select_related("enrollment", "enrollment__child").filter(enrollment_id=enrollment_id)
    diet = diet.first()
    if diet is None:
        raise EnrollmentNotFoundError
    health_data_access_record(user=user, enrollment=diet.enrollment, action=HealthDataAccess.Action.VIEW)
    return diet


@transaction.atomic
def medical_certificate_open_for_staff(*, user: User, enrollment_id: int) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the certificate for staff with the permission; the download is logged."""
    _health_check(user)
    diet = MedicalDiet.objects.select_related("enrollment").filter(enrollment_id=enrollment_id).first()
    if diet is None or not diet.certificate:
        raise EnrollmentNotFoundError
    with diet.certificate.open("rb") as handle:
        content = handle.read()
    content_type = "application/pdf" if content.startswith(b"%PDF-") else "image/jpeg"
    extension = ".pdf" if content_type == "application/pdf" else ".jpg"
    health_data_access_record(user=user, enrollment=diet.enrollment, action=HealthDataAccess.Action.DOWNLOAD)
    return f"certificato-{diet.enrollment.protocol or diet.enrollment_id}{extension}", content_type, content
