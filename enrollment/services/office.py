"""The office's writes one enrollment at a time: review (accept, reject, waiting list), diets, exemptions, expired
ISEE, and filling a route's free seats. The same transitions in bulk are in `bulk`.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from accounts.services import family_summary_invalidate
from portal.errors import ReasonRequiredError, TransitionNotAllowedError

from ..errors import ENROLLMENT_STATE_CHANGED, EnrollmentNotFoundError, InvalidChoiceError
from ..hooks import enrollments_accepted_notify
from ..models import Enrollment, Route
from .common import enrollment_lock, event_record, routes_lock, seats_taken, tariff_day, tariff_for
from .mails import Mail, mails_send
from .transitions import seats_offer, transition_one

Status = Enrollment.Status
REVIEWABLE = (Status.SUBMITTED, Status.WAITLISTED)
OPEN_AFTER_SUBMIT = (Status.SUBMITTED, Status.WAITLISTED, Status.ACCEPTED)
REASON_MAX = 2000


def reason_clean(reason: str) -> str:
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
    fees_issue([enrollment.pk], actor)
    return enrollment


def fees_issue(enrollment_ids: list[int], actor: User) -> None:
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
        reason=reason_clean(reason),
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
    family_summary_invalidate(child_ids=[locked.child_id])
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
    family_summary_invalidate(child_ids=[locked.child_id])
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
    if locked.isee_purged_at is not None:
        # The ISEE value is gone (retention): computing again would price it as if no ISEE had been presented.
        raise TransitionNotAllowedError(
            gettext("Il valore ISEE di questa iscrizione è stato cancellato: la tariffa non può essere ricalcolata.")
        )
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
    reason = reason_clean(reason)[:200]
    _route, locked = enrollment_lock(enrollment.pk)
    if locked.exemption_percent == percent and locked.exemption_reason == reason:
        return locked
    if locked.status not in (Status.DRAFT, *OPEN_AFTER_SUBMIT):
        raise TransitionNotAllowedError(ENROLLMENT_STATE_CHANGED)
    locked.exemption_percent = percent
    locked.exemption_reason = reason
    _tariff_refreeze(locked)
    locked.save(update_fields=["exemption_percent", "exemption_reason", "tariff_amount", "tariff_steps", "updated_at"])
    family_summary_invalidate(child_ids=[locked.child_id])
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
    family_summary_invalidate(child_ids=[locked.child_id])
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
