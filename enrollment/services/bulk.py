"""The office's transitions in bulk: constant queries whatever the number of items (rows locked, updated and logged
in a few statements; e-mails rendered per item and written in one insert). An item that may not move is skipped
and never half-applied; each returns how many changed.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import User

from ..models import Enrollment
from .office import REVIEWABLE, fees_issue, reason_clean
from .transitions import transition_many

Status = Enrollment.Status


# --- in bulk ---------------------------------------------------------------------------------------------------


@transaction.atomic
def enrollments_accept_bulk(*, enrollment_ids: list[int], actor: User) -> int:
    """Accept many; the ones that may not be accepted (state, no seat) are skipped. Returns how many changed."""
    outcome = transition_many(
        enrollment_ids=enrollment_ids, actor=actor, target=Status.ACCEPTED, allowed_from=REVIEWABLE, action="accepted"
    )
    fees_issue([row.pk for row in outcome.changed], actor)
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
        reason=reason_clean(reason),
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
