"""Moving enrollments between states under lock: one by one or many at once, seats and waiting lists included.

Lock order as in `common`: the route → the enrollment rows (by id).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.services import family_summary_invalidate
from portal.errors import DomainError, TransitionNotAllowedError

from ..errors import ENROLLMENT_STATE_CHANGED, CapacityError, EnrollmentNotFoundError
from ..models import Enrollment, EnrollmentEvent, Route
from ..selectors import WAITLIST_ORDER
from .common import RELATED, enrollments_lock, event_build, holds_seat, seats_taken
from .mails import Mail, mails_send

Status = Enrollment.Status


# --- seats ---------------------------------------------------------------------------------------------------


def positions_of(rows: Iterable[Enrollment]) -> dict[int, int | None]:
    """Waiting-list positions of these enrollments, counted in Python over their lists (one query, linear)."""
    rows = list(rows)
    groups = {(row.service_id, row.school_year_id, row.route_id) for row in rows if row.status == Status.WAITLISTED}
    positions: dict[int, int | None] = {row.pk: None for row in rows}
    if not groups:
        return positions
    condition = Q()
    for service_id, school_year_id, route_id in groups:
        condition |= Q(service_id=service_id, school_year_id=school_year_id, route_id=route_id)
    counters: dict[tuple[int, ...], int] = defaultdict(int)
    waiting = (
        Enrollment.objects.filter(condition, status=Status.WAITLISTED)
        .order_by(*WAITLIST_ORDER)
        .values_list("pk", "service_id", "school_year_id", "route_id")
    )
    for pk, *group in waiting.iterator(chunk_size=2000):
        key = tuple(group)
        counters[key] += 1
        if pk in positions:
            positions[pk] = counters[key]
    return positions


def seats_offer(
    *, route: Route, taken: int, actor: User | None, now: datetime.datetime | None = None
) -> list[Enrollment]:
    """Give the free seats of a locked route to the first waiting (ranking, then submission order), e-mailed."""
    free = route.capacity - taken
    if free <= 0:
        return []
    now = now or timezone.now()
    waiting = list(
        Enrollment.objects.select_for_update(of=("self",))
        .filter(route_id=route.pk, status=Status.WAITLISTED)
        .select_related(*RELATED)
        .order_by(*WAITLIST_ORDER)[:free]
    )
    for row in waiting:
        row.status = Status.SUBMITTED
        row.updated_at = now
    Enrollment.objects.bulk_update(waiting, ["status", "updated_at"])
    family_summary_invalidate(child_ids=[row.child_id for row in waiting])
    EnrollmentEvent.objects.bulk_create(
        [
            event_build(
                enrollment=row,
                actor=actor,
                from_status=Status.WAITLISTED,
                to_status=Status.SUBMITTED,
                action="seat_offered",
                note=f"Posto liberato sulla linea {route.name}.",
                at=now,
            )
            for row in waiting
        ]
    )
    mails_send([Mail("enrollment_seat_offered", row) for row in waiting])
    return waiting


# --- transitions -----------------------------------------------------------------------------------------


TRANSITION_EMAIL: dict[str, str] = {
    Status.ACCEPTED: "enrollment_accepted",
    Status.REJECTED: "enrollment_rejected",
    Status.WAITLISTED: "enrollment_waitlisted",
    Status.SUBMITTED: "enrollment_seat_offered",
    Status.WITHDRAWN: "enrollment_withdrawn",
}


@dataclass
class Outcome:
    changed: list[Enrollment] = field(default_factory=list)
    unchanged: list[Enrollment] = field(default_factory=list)  # already in the target state
    refused: dict[int, DomainError] = field(default_factory=dict)
    offered: list[Enrollment] = field(default_factory=list)  # waiting ones that got a freed seat


@dataclass
class _Seats:
    """The locked routes of a batch, their seats taken as the batch moves, and the routes where a seat was freed."""

    routes: dict[int, Route]
    taken: dict[int, int]
    freed: set[int] = field(default_factory=set)

    def move(self, row: Enrollment, target: str) -> bool:
        """Count the seat `row` takes or frees by moving to `target`; False when it needs one and none is free."""
        route_id = row.route_id
        if route_id is None:
            return True
        was_holding = holds_seat(row)
        will_hold = target in Enrollment.SEAT_STATUSES
        if will_hold and not was_holding:
            if self.taken[route_id] >= self.routes[route_id].capacity:
                return False
            self.taken[route_id] += 1
        elif was_holding and not will_hold:
            self.taken[route_id] -= 1
            self.freed.add(route_id)
        return True


def _decided_values(target: str, now: datetime.datetime, reason: str) -> dict[str, object]:
    """What every row moved to `target` gets, besides its status."""
    values: dict[str, object] = {"status": target, "updated_at": now}
    if target in (Status.ACCEPTED, Status.REJECTED):
        values["decided_at"] = now
    if target == Status.REJECTED:
        values["rejection_reason"] = reason
    return values


def transition_many(
    *,
    enrollment_ids: Iterable[int],
    actor: User | None,
    target: str,
    allowed_from: tuple[str, ...],
    action: str,
    note: str = "",
    reason: str = "",
    offer_freed_seats: bool = False,
    email: bool = True,
) -> Outcome:
    """Move many enrollments to `target` under lock, with constant queries; refused ones are left untouched.

    Seats: moving a waiting enrollment to a seat status needs a free seat on its route (else CapacityError);
    a seat holder leaving frees one, offered to the first waiting when `offer_freed_seats`.
    """
    outcome = Outcome()
    routes, rows = enrollments_lock(enrollment_ids)
    seats = _Seats(routes=routes, taken=seats_taken(routes))
    now = timezone.now()
    values = _decided_values(target, now, reason)
    events = []
    for row in rows:
        if row.status == target:
            outcome.unchanged.append(row)
            continue
        if row.status not in allowed_from or target not in Enrollment.TRANSITIONS[Status(row.status)]:
            outcome.refused[row.pk] = TransitionNotAllowedError(ENROLLMENT_STATE_CHANGED)
            continue
        if not seats.move(row, target):
            outcome.refused[row.pk] = CapacityError()
            continue
        from_status = row.status
        for name, value in values.items():
            setattr(row, name, value)
        events.append(
            event_build(
                enrollment=row,
                actor=actor,
                from_status=from_status,
                to_status=target,
                action=action,
                note=note or reason,
                at=now,
            )
        )
        outcome.changed.append(row)
    if outcome.changed:
        # Every changed row gets the same values: one UPDATE (rows already locked above).
        Enrollment.objects.filter(pk__in=[row.pk for row in outcome.changed]).update(**values)
        family_summary_invalidate(child_ids=[row.child_id for row in outcome.changed])
        EnrollmentEvent.objects.bulk_create(events, batch_size=1000)
    if offer_freed_seats:
        for route_id in sorted(seats.freed):
            outcome.offered += seats_offer(route=routes[route_id], taken=seats.taken[route_id], actor=actor, now=now)
    if email and outcome.changed:
        _transition_mails(outcome.changed, target)
    return outcome


def _transition_mails(changed: list[Enrollment], target: str) -> None:
    positions = positions_of(changed) if target == Status.WAITLISTED else {}
    mails_send(
        [
            Mail(TRANSITION_EMAIL[target], row, {"reason": row.rejection_reason, "position": positions.get(row.pk)})
            for row in changed
        ]
    )


def transition_one(
    *,
    enrollment: Enrollment,
    actor: User | None,
    target: str,
    allowed_from: tuple[str, ...],
    action: str,
    reason: str = "",
    offer_freed_seats: bool = False,
) -> Enrollment:
    """One enrollment through `transition_many`: refused → the error; already there → returned as is."""
    outcome = transition_many(
        enrollment_ids=[enrollment.pk],
        actor=actor,
        target=target,
        allowed_from=allowed_from,
        action=action,
        reason=reason,
        offer_freed_seats=offer_freed_seats,
    )
    if enrollment.pk in outcome.refused:
        raise outcome.refused[enrollment.pk]
    rows = outcome.changed or outcome.unchanged
    if not rows:
        raise EnrollmentNotFoundError
    return rows[0]
