"""What every enrollment service shares: locks, the audit trail, e-mails, seats and the tariff of an enrollment.

Lock order, the same everywhere so that concurrent transactions never deadlock: the route (transport) → the
enrollment rows (by id) → the reference adult (sibling rank at submission) → the school year (protocol number).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import Guardianship, User
from portal import mail
from portal.errors import TransitionNotAllowedError

from .errors import (
    ENROLLMENT_STATE_CHANGED,
    CapacityError,
    EnrollmentError,
    EnrollmentNotFoundError,
    TariffNotConfiguredError,
    WindowClosedError,
)
from .models import Enrollment, EnrollmentEvent, EnrollmentWindow, Route, ServiceKind
from .selectors import WAITLIST_ORDER, plan_from_model, tariff_plan_for
from .tariffs import Tariff, TariffError, tariff_compute

Status = Enrollment.Status
RELATED = ("child", "service", "school_year", "school", "route", "stop", "submitted_by")


# --- who may act ---------------------------------------------------------------------------------------------


def is_guardian(*, user: User, child_id: int) -> bool:
    return Guardianship.objects.filter(adult=user, child_id=child_id, revoked_at__isnull=True).exists()


def guardian_check(*, user: User, child_id: int, staff: bool = False) -> None:
    """The user must be an active guardian of the child (unless staff): else a 404, never a 403."""
    if staff and user.is_staff:
        return
    if not is_guardian(user=user, child_id=child_id):
        raise EnrollmentNotFoundError


def can_edit_as_office(user: User) -> bool:
    return bool(user.is_staff and user.has_perm("enrollment.change_enrollment"))


def window_check(*, service_id: int, school_year_id: int, now: datetime.datetime) -> None:
    window = EnrollmentWindow.objects.filter(service_id=service_id, school_year_id=school_year_id).first()
    if window is None:
        raise WindowClosedError(opens_at=None, closes_at=None, now=now)
    if not window.is_open(now):
        raise WindowClosedError(opens_at=window.opens_at, closes_at=window.closes_at, now=now)


# --- locks ---------------------------------------------------------------------------------------------------


def routes_lock(route_ids: Iterable[int]) -> dict[int, Route]:
    ids = sorted({pk for pk in route_ids if pk})
    if not ids:
        return {}
    return {route.pk: route for route in Route.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def enrollments_lock(enrollment_ids: Iterable[int]) -> tuple[dict[int, Route], list[Enrollment]]:
    """Lock the routes of these enrollments, then the enrollments themselves (by id), and re-read them."""
    ids = sorted(set(enrollment_ids))
    routes = routes_lock(
        Enrollment.objects.filter(pk__in=ids, route__isnull=False).values_list("route_id", flat=True).distinct()
    )
    rows = list(
        Enrollment.objects.select_for_update(of=("self",)).filter(pk__in=ids).select_related(*RELATED).order_by("pk")
    )
    missing = {row.route_id for row in rows if row.route_id and row.route_id not in routes}
    if missing:  # a draft's route changed between the two reads (only drafts may change route)
        routes.update(routes_lock(missing))
    return routes, rows


def enrollment_lock(enrollment_id: int) -> tuple[Route | None, Enrollment]:
    routes, rows = enrollments_lock([enrollment_id])
    if not rows:
        raise EnrollmentNotFoundError
    row = rows[0]
    return routes.get(row.route_id), row


def seats_taken(route_ids: Iterable[int]) -> dict[int, int]:
    ids = sorted({pk for pk in route_ids if pk})
    taken = dict.fromkeys(ids, 0)
    if ids:
        counts = (
            Enrollment.objects.filter(route_id__in=ids, status__in=Enrollment.SEAT_STATUSES)
            .order_by()
            .values("route_id")
            .annotate(n=Count("pk"))
            .values_list("route_id", "n")
        )
        taken.update(dict(counts))
    return taken


def holds_seat(row: Enrollment) -> bool:
    return bool(row.route_id) and row.status in Enrollment.SEAT_STATUSES


# --- audit trail ---------------------------------------------------------------------------------------------


def event_build(
    *,
    enrollment: Enrollment,
    actor: User | None,
    from_status: str,
    to_status: str,
    action: str,
    note: str = "",
    at=None,
) -> EnrollmentEvent:
    return EnrollmentEvent(
        enrollment=enrollment,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        action=action[:40],
        note=note,
        at=at or timezone.now(),
    )


def event_record(**kwargs) -> EnrollmentEvent:
    event = event_build(**kwargs)
    event.save()
    return event


# --- e-mails -------------------------------------------------------------------------------------------------


def guardians_by_child(child_ids: Iterable[int]) -> dict[int, list[tuple[int, str, str]]]:
    """(adult id, e-mail, role) of every active guardian of these children: one query."""
    result: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    rows = Guardianship.objects.filter(child_id__in=set(child_ids), revoked_at__isnull=True).values_list(
        "child_id", "adult_id", "adult__email", "role"
    )
    for child_id, adult_id, email, role in rows:
        result[child_id].append((adult_id, email, role))
    return result


def reference_adult_id(child_id: int) -> int | None:
    return (
        Guardianship.objects.filter(child_id=child_id, role=Guardianship.Role.REFERENCE, revoked_at__isnull=True)
        .values_list("adult_id", flat=True)
        .first()
    )


def recipients(row: Enrollment, guardians: list[tuple[int, str, str]]) -> list[str]:
    """The adult of reference, and whoever submitted if still a guardian of the child (staff are not copied)."""
    emails = [email for _adult, email, role in guardians if role == Guardianship.Role.REFERENCE]
    if row.submitted_by_id:
        emails += [email for adult, email, _role in guardians if adult == row.submitted_by_id]
    if not emails:  # no adult of reference any more: every active guardian
        emails = [email for _adult, email, _role in guardians]
    unique: list[str] = []
    for email in emails:
        if email and email not in unique:
            unique.append(email)
    return unique


def family_url() -> str:
    domain = settings.PORTAL_DOMAIN
    scheme = "http" if domain.startswith(("127.", "localhost")) or settings.DEBUG else "https"
    try:
        path = reverse("accounts:family")
    except NoReverseMatch:  # pragma: no cover - the family page always exists
        path = "/"
    return f"{scheme}://{domain}{path}"


def email_context(row: Enrollment, **extra) -> dict:
    """What every enrollment e-mail may say: never health data, never the ISEE."""
    return {
        "comune": settings.PORTAL_COMUNE_NAME,
        "comune_email": settings.PORTAL_COMUNE_EMAIL,
        "child_name": f"{row.child.first_name} {row.child.last_name}",
        "service_name": row.service.name,
        "school_year": row.school_year.name,
        "school_name": row.school.name if row.school_id else "",
        "route_name": row.route.name if row.route_id else "",
        "protocol": row.protocol or "",
        "family_url": family_url(),
        **extra,
    }


@dataclass
class Mail:
    template: str
    row: Enrollment
    extra: dict = field(default_factory=dict)
    attachments: list[dict] = field(default_factory=list)


def mails_send(mails: list[Mail]) -> int:
    """Render every e-mail and write them to the outbox in one insert; delivery is queued after commit."""
    if not mails:
        return 0
    guardians = guardians_by_child({m.row.child_id for m in mails})
    emails = []
    for item in mails:
        to = recipients(item.row, guardians.get(item.row.child_id, []))
        if to:
            context = email_context(item.row, **item.extra)
            emails.append(mail.TemplateEmail(item.template, to, context, tuple(item.attachments)))
    return len(mail.email_enqueue_many(emails))


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
    counters: dict[tuple, int] = defaultdict(int)
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


def seats_offer(*, route: Route, taken: int, actor: User | None, now=None) -> list[Enrollment]:
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


TRANSITION_EMAIL = {
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
    refused: dict[int, EnrollmentError] = field(default_factory=dict)
    offered: list[Enrollment] = field(default_factory=list)  # waiting ones that got a freed seat


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
    taken = seats_taken(routes)
    now = timezone.now()
    freed: set[int] = set()
    events = []
    for row in rows:
        if row.status == target:
            outcome.unchanged.append(row)
            continue
        if row.status not in allowed_from or target not in Enrollment.TRANSITIONS[row.status]:
            outcome.refused[row.pk] = TransitionNotAllowedError(ENROLLMENT_STATE_CHANGED)
            continue
        was_holding = holds_seat(row)
        will_hold = bool(row.route_id) and target in Enrollment.SEAT_STATUSES
        if will_hold and not was_holding:
            if taken[row.route_id] >= routes[row.route_id].capacity:
                outcome.refused[row.pk] = CapacityError()
                continue
            taken[row.route_id] += 1
        elif was_holding and not will_hold:
            taken[row.route_id] -= 1
            freed.add(row.route_id)
        from_status = row.status
        row.status = target
        row.updated_at = now
        if target in (Status.ACCEPTED, Status.REJECTED):
            row.decided_at = now
        if target == Status.REJECTED:
            row.rejection_reason = reason
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
        values = {"status": target, "updated_at": now}
        if target in (Status.ACCEPTED, Status.REJECTED):
            values["decided_at"] = now
        if target == Status.REJECTED:
            values["rejection_reason"] = reason
        Enrollment.objects.filter(pk__in=[row.pk for row in outcome.changed]).update(**values)
        EnrollmentEvent.objects.bulk_create(events, batch_size=1000)
    if offer_freed_seats:
        for route_id in sorted(freed):
            outcome.offered += seats_offer(route=routes[route_id], taken=taken[route_id], actor=actor, now=now)
    if email and outcome.changed:
        template = TRANSITION_EMAIL[target]
        positions = positions_of(outcome.changed) if target == Status.WAITLISTED else {}
        mails_send(
            [
                Mail(template, row, {"reason": row.rejection_reason, "position": positions.get(row.pk)})
                for row in outcome.changed
            ]
        )
    return outcome


def transition_one(*, enrollment: Enrollment, **kwargs) -> Enrollment:
    """One enrollment through `transition_many`: refused → the error; already there → returned as is."""
    outcome = transition_many(enrollment_ids=[enrollment.pk], **kwargs)
    if enrollment.pk in outcome.refused:
        raise outcome.refused[enrollment.pk]
    rows = outcome.changed or outcome.unchanged
    if not rows:
        raise EnrollmentNotFoundError
    return rows[0]


# --- tariffs -------------------------------------------------------------------------------------------------


def sibling_rank_for(*, enrollment: Enrollment, reference_id: int | None, before=None) -> int:
    """1 + the other children of the same adult of reference already enrolled (submitted, accepted or waiting)
    in the same service and year, submitted before `before`."""
    if reference_id is None:
        return 1
    others = Enrollment.objects.filter(
        service_id=enrollment.service_id,
        school_year_id=enrollment.school_year_id,
        status__in=(Status.SUBMITTED, Status.ACCEPTED, Status.WAITLISTED),
        child__guardianships__adult_id=reference_id,
        child__guardianships__role=Guardianship.Role.REFERENCE,
        child__guardianships__revoked_at__isnull=True,
    ).exclude(child_id=enrollment.child_id)
    if before is not None:
        others = others.filter(submitted_at__lt=before)
    return 1 + others.values("child_id").distinct().count()


def tariff_for(*, enrollment: Enrollment, sibling_rank: int, today: datetime.date) -> Tariff:
    """The tariff of an enrollment's current data: an ISEE expired before `today` counts as none unless the
    office accepted it; no residency answer yet counts as resident."""
    plan_model = tariff_plan_for(service=enrollment.service_id, school_year=enrollment.school_year_id)
    if plan_model is None:
        raise TariffNotConfiguredError
    before: list[dict] = []
    isee = None
    if enrollment.isee_presented and enrollment.isee_amount is not None:
        expires_on = enrollment.isee_expires_on
        if expires_on is not None and expires_on < today:
            code = "isee_expired_accepted" if enrollment.isee_expired_accepted else "isee_expired"
            before.append({"code": code, "expires_on": expires_on.isoformat()})
            if enrollment.isee_expired_accepted:
                isee = enrollment.isee_amount
        else:
            isee = enrollment.isee_amount
    try:
        tariff = tariff_compute(
            plan=plan_from_model(plan_model),
            isee=isee,
            resident=enrollment.resident is not False,
            sibling_rank=max(sibling_rank, 1),
            exemption_percent=enrollment.exemption_percent,
        )
    except TariffError as exc:
        raise TariffNotConfiguredError from exc
    return Tariff(amount=tariff.amount, unit=tariff.unit, steps=before + tariff.steps)


def tariff_day(enrollment: Enrollment) -> datetime.date:
    """The day an ISEE's validity is judged for a frozen tariff: the submission day (today for a draft)."""
    return timezone.localdate(enrollment.submitted_at) if enrollment.submitted_at else timezone.localdate()


def is_transport(enrollment: Enrollment) -> bool:
    return enrollment.service.kind == ServiceKind.TRANSPORT
