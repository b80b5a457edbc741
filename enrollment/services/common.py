"""What every enrollment service shares: who may act, locks, the audit trail, seats and the tariff of an enrollment.

Lock order, the same everywhere so that concurrent transactions never deadlock: the route (transport) → the
enrollment rows (by id) → the reference adult (sibling rank at submission) → the school year (protocol number).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count
from django.utils import timezone

from accounts.models import Guardianship, User

from ..errors import EnrollmentNotFoundError, TariffNotConfiguredError, WindowClosedError
from ..models import Enrollment, EnrollmentEvent, EnrollmentWindow, Route, ServiceKind
from ..selectors import tariff_plan_get, tariff_plan_to_pure
from ..tariffs import Tariff, TariffError, tariff_compute

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
    return (routes.get(row.route_id) if row.route_id else None), row


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
    at: datetime.datetime | None = None,
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


def event_record(
    *,
    enrollment: Enrollment,
    actor: User | None,
    from_status: str,
    to_status: str,
    action: str,
    note: str = "",
    at: datetime.datetime | None = None,
) -> EnrollmentEvent:
    event = event_build(
        enrollment=enrollment,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        action=action,
        note=note,
        at=at,
    )
    event.save()
    return event


# --- tariffs -------------------------------------------------------------------------------------------------


def reference_adult_id(child_id: int) -> int | None:
    return (
        Guardianship.objects.filter(child_id=child_id, role=Guardianship.Role.REFERENCE, revoked_at__isnull=True)
        .values_list("adult_id", flat=True)
        .first()
    )


def sibling_rank_for(
    *, enrollment: Enrollment, reference_id: int | None, before: datetime.datetime | None = None
) -> int:
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
    plan_model = tariff_plan_get(service=enrollment.service_id, school_year=enrollment.school_year_id)
    if plan_model is None:
        raise TariffNotConfiguredError
    before: list[dict[str, str]] = []
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
            plan=tariff_plan_to_pure(plan=plan_model),
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
