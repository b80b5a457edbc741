"""Reads about enrollments, already scoped to who asks: another family's child or enrollment is a 404."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Case, Count, IntegerField, Model, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import Guardianship, User

from ..errors import EnrollmentNotFoundError
from ..models import (
    Enrollment,
    EnrollmentWindow,
    Route,
    School,
    SchoolClass,
    SchoolYear,
    Service,
    Stop,
    TariffBand,
    TariffPlan,
)
from ..tariffs import Band, Plan, tariff_explain

# A waiting list is ordered by the office's ranking (none: after every ranked one), then submission time, then id.
NO_RANK = 2**31 - 1
WAITLIST_ORDER = (Coalesce("waitlist_rank", Value(NO_RANK)).asc(), "submitted_at", "pk")


# --- windows and choices for the wizard ----------------------------------------------------------------------


def window_list_open(*, now: datetime.datetime | None = None) -> QuerySet[EnrollmentWindow]:
    """The windows open at `now` (default: now), with their service and year."""
    now = now or timezone.now()
    return (
        EnrollmentWindow.objects.filter(opens_at__lte=now, closes_at__gt=now)
        .select_related("service", "school_year")
        .order_by("closes_at", "service__kind")
    )


@dataclass(frozen=True)
class ServiceOption:
    """One service/year a child may be enrolled in; `state` is "open", "future" (opens later) or "closed"."""

    service: Service
    school_year: SchoolYear
    window: EnrollmentWindow
    state: str
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    enrollment: Enrollment | None  # the child's open enrollment (draft or not) for this service and year

    @property
    def is_open(self) -> bool:
        return self.state == "open"


def _scoped_child_ids(user: User) -> QuerySet[Guardianship, Any]:
    return Guardianship.objects.filter(adult=user, revoked_at__isnull=True).values("child_id")


def _child_is_users(*, user: User, child_id: int) -> bool:
    return Guardianship.objects.filter(adult=user, child_id=child_id, revoked_at__isnull=True).exists()


def service_options_for_user(
    *, user: User, child_id: int, now: datetime.datetime | None = None
) -> list[ServiceOption]:
    """Every service of a current or future school year, with its window state and the child's enrollment.

    Three queries whatever the number of services; another family's child → 404.
    """
    if not _child_is_users(user=user, child_id=child_id):
        raise EnrollmentNotFoundError
    now = now or timezone.now()
    today = timezone.localdate(now)
    windows = list(
        EnrollmentWindow.objects.filter(school_year__ends_on__gte=today)
        .select_related("service", "school_year")
        .order_by("school_year__starts_on", "service__kind")
    )
    existing = {
        (e.service_id, e.school_year_id): e
        for e in Enrollment.objects.filter(
            child_id=child_id,
            status__in=Enrollment.OPEN_STATUSES,
            school_year_id__in={w.school_year_id for w in windows},
        )
    }
    options = []
    for window in windows:
        if now < window.opens_at:
            state = "future"
        elif now < window.closes_at:
            state = "open"
        else:
            state = "closed"
        options.append(
            ServiceOption(
                service=window.service,
                school_year=window.school_year,
                window=window,
                state=state,
                opens_at=window.opens_at,
                closes_at=window.closes_at,
                enrollment=existing.get((window.service_id, window.school_year_id)),
            )
        )
    return options


def window_get(*, service: Service | int, school_year: SchoolYear | int) -> EnrollmentWindow | None:
    """The enrollment window of a service and year (instances or pks), or None."""
    return EnrollmentWindow.objects.filter(service_id=_pk(service), school_year_id=_pk(school_year)).first()


def _pk(value: Model | int) -> int:
    return int(value.pk) if isinstance(value, Model) else value


def school_class_list(*, school: School | int | None) -> QuerySet[SchoolClass]:
    """The classes of a school (instance or pk), by name; none without a school."""
    if school is None:
        return SchoolClass.objects.none()
    return SchoolClass.objects.filter(school_id=_pk(school)).order_by("name")


def school_list(*, service: Service | int) -> QuerySet[School]:
    """The schools a service (instance or pk) serves, by name."""
    return School.objects.filter(services__pk=_pk(service)).order_by("name")


def stop_list(*, route: Route | int | None) -> QuerySet[Stop]:
    """The stops of a route (instance or pk), in order; none without a route."""
    if route is None:
        return Stop.objects.none()
    return Stop.objects.filter(route_id=_pk(route)).order_by("order")


def route_list(*, enrollment: Enrollment) -> QuerySet[Route]:
    """Routes of the enrollment's year that serve its school (a route with no schools listed serves all)."""
    routes = Route.objects.filter(school_year_id=enrollment.school_year_id)
    if enrollment.school_id:
        routes = routes.filter(Q(schools__isnull=True) | Q(schools__pk=enrollment.school_id)).distinct()
    return routes.prefetch_related(Prefetch("stops", queryset=Stop.objects.order_by("order"))).order_by("name")


def route_seats_count(*, route: Route) -> tuple[int, int]:
    """(seats taken, capacity): submitted and accepted enrollments hold a seat; waiting ones do not."""
    taken = Enrollment.objects.filter(route_id=route.pk, status__in=Enrollment.SEAT_STATUSES).count()
    return taken, route.capacity


# --- tariffs -----------------------------------------------------------------------------------------------------


def tariff_plan_get(*, service: Service | int, school_year: SchoolYear | int) -> TariffPlan | None:
    """The plan of a service and year with its bands (prefetched, by lower bound), or None."""
    return (
        TariffPlan.objects.filter(service_id=_pk(service), school_year_id=_pk(school_year))
        .select_related("service")
        .prefetch_related(Prefetch("bands", queryset=TariffBand.objects.order_by("isee_from")))
        .first()
    )


def tariff_plan_to_pure(*, plan: TariffPlan) -> Plan:
    """The pure `tariffs.Plan` of a stored plan (bands read once; prefetched by `tariff_plan_get`)."""
    return Plan(
        unit=plan.service.unit,
        bands=[Band(isee_from=b.isee_from, isee_to=b.isee_to, amount=b.amount) for b in plan.bands.all()],
        no_isee_amount=plan.no_isee_amount,
        non_resident_amount=plan.non_resident_amount,
        sibling_second_percent=plan.sibling_second_percent,
        sibling_third_percent=plan.sibling_third_percent,
    )


def enrollment_tariff_lines(*, enrollment: Enrollment) -> list[str]:
    """The frozen tariff of a submitted enrollment, as sentences in the active language."""
    return tariff_explain(enrollment.tariff_steps, enrollment.service.unit)


# --- waiting lists -------------------------------------------------------------------------------------------


def enrollment_next_to_examine(*, after: Enrollment) -> Enrollment | None:
    """The office's queue: the oldest submitted enrollment of the same service and year, other than `after`."""
    return (
        Enrollment.objects.filter(
            status=Enrollment.Status.SUBMITTED, service_id=after.service_id, school_year_id=after.school_year_id
        )
        .exclude(pk=after.pk)
        .order_by("submitted_at", "pk")
        .first()
    )


def waitlist_list(*, service_id: int, school_year_id: int, route_id: int | None) -> QuerySet[Enrollment]:
    """The waiting enrollments of one list (a route; or a service and year without routes), first first."""
    waiting = Enrollment.objects.filter(
        status=Enrollment.Status.WAITLISTED, service_id=service_id, school_year_id=school_year_id
    )
    waiting = waiting.filter(route__isnull=True) if route_id is None else waiting.filter(route_id=route_id)
    return waiting.order_by(*WAITLIST_ORDER)


def _with_keys(queryset: QuerySet[Enrollment]) -> QuerySet[Enrollment]:
    return queryset.annotate(
        _route_key=Coalesce("route_id", Value(0)), _rank_key=Coalesce("waitlist_rank", Value(NO_RANK))
    )


def _position_expression() -> Case:
    """1 + how many wait ahead in the same list, for a WAITLISTED row; NULL otherwise (outer needs _with_keys)."""
    ahead = (
        _with_keys(Enrollment.objects.filter(status=Enrollment.Status.WAITLISTED))
        .filter(
            Q(_route_key=OuterRef("_route_key")),  # an annotation: in a Q, which the stubs do not check
            service_id=OuterRef("service_id"),
            school_year_id=OuterRef("school_year_id"),
        )
        .filter(
            Q(_rank_key__lt=OuterRef("_rank_key"))
            | Q(_rank_key=OuterRef("_rank_key"), submitted_at__lt=OuterRef("submitted_at"))
            | Q(_rank_key=OuterRef("_rank_key"), submitted_at=OuterRef("submitted_at"), pk__lt=OuterRef("pk"))
        )
        .order_by()
        .values("service_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Case(
        When(status=Enrollment.Status.WAITLISTED, then=Coalesce(Subquery(ahead, output_field=IntegerField()), 0) + 1),
        default=None,
        output_field=IntegerField(),
    )


def waitlist_position_annotate(*, queryset: QuerySet[Enrollment]) -> QuerySet[Enrollment]:
    """Annotate `waitlist_position` (int for waiting enrollments, None otherwise) in the same query."""
    return _with_keys(queryset).annotate(waitlist_position=_position_expression())


def waitlist_position_get(*, enrollment: Enrollment) -> int | None:
    """1 for the first waiting, None when the enrollment is not on a waiting list."""
    if enrollment.status != Enrollment.Status.WAITLISTED:
        return None
    row = waitlist_position_annotate(queryset=Enrollment.objects.filter(pk=enrollment.pk)).first()
    return getattr(row, "waitlist_position", None)


# --- the parent's enrollments ----------------------------------------------------------------------------


def enrollment_list_for_user(*, user: User) -> QuerySet[Enrollment]:
    """Every enrollment of the user's children (drafts too), newest year first, with `waitlist_position`.

    One query with its related rows (child, service, year, school, class, route, stop).
    """
    return waitlist_position_annotate(
        queryset=Enrollment.objects.filter(child_id__in=_scoped_child_ids(user)).select_related(
            "child", "service", "school_year", "school", "school_class", "route", "stop"
        )
    ).order_by("-school_year__starts_on", "child__first_name", "child__last_name", "service__kind", "pk")


def enrollment_get_for_user(*, user: User, pk: int) -> Enrollment:
    """One enrollment of the user's children (with `waitlist_position`), or EnrollmentNotFoundError (404)."""
    enrollment = enrollment_list_for_user(user=user).filter(pk=pk).first()
    if enrollment is None:
        raise EnrollmentNotFoundError
    return enrollment


# --- who sees the private data of an enrollment: one rule for the pages, the wizard and the data export ---------


def enrollment_private_data_rule(*, user: User) -> Callable[[Enrollment], bool]:
    """`rule(enrollment)`: may `user` see its medical details, certificate, ISEE value and DSU protocol?

    Only the adult who sent it (for a draft: who started it) and the child's adult of reference now; a delegate
    sees the rest (an ISEE presented, a special diet asked, the office's decision). One query for any number."""
    if user.pk is None:
        return lambda enrollment: False
    reference = set(
        Guardianship.objects.filter(adult=user, role=Guardianship.Role.REFERENCE, revoked_at__isnull=True).values_list(
            "child_id", flat=True
        )
    )

    def rule(enrollment: Enrollment) -> bool:
        author_id = (
            enrollment.created_by_id if enrollment.status == Enrollment.Status.DRAFT else enrollment.submitted_by_id
        )
        return author_id == user.pk or enrollment.child_id in reference

    return rule


def enrollment_private_data_visible(*, user: User, enrollment: Enrollment) -> bool:
    """Whether `user` may see the enrollment's medical details, certificate, ISEE value and DSU protocol."""
    return enrollment_private_data_rule(user=user)(enrollment)


@dataclass(frozen=True)
class EnrollmentCard:
    """What the family page shows of one enrollment: plain values, no model instances."""

    pk: int
    child_id: int
    service_name: str
    service_kind: str
    school_year_name: str
    status: str
    position: int | None
    rejection_reason: str
    protocol: str | None
    step: str

    @property
    def status_label(self) -> str:
        return str(Enrollment.Status(self.status).label)

    @property
    def is_draft(self) -> bool:
        return self.status == Enrollment.Status.DRAFT

    @property
    def can_withdraw(self) -> bool:
        return self.status in PARENT_WITHDRAWABLE


PARENT_WITHDRAWABLE = (Enrollment.Status.SUBMITTED, Enrollment.Status.WAITLISTED, Enrollment.Status.ACCEPTED)


def enrollment_cards_for_user(*, user: User, school_year_ids: Iterable[int] | None = None) -> list[EnrollmentCard]:
    """The family page's enrollment cards: drafts, current and past, newest year first.

    One plain query; the waiting-list positions (a heavier query) are asked only when a card is waiting.
    """
    cards = enrollment_cards_without_positions_for_user(user=user, school_year_ids=school_year_ids)
    return enrollment_cards_positions_fill(cards=cards)


def enrollment_cards_without_positions_for_user(
    *, user: User, school_year_ids: Iterable[int] | None = None
) -> list[EnrollmentCard]:
    """The cards with `position` None: what the family's own writes change, so what a cached summary may keep
    (a waiting card's position moves with other families' enrollments: `enrollment_cards_positions_fill`)."""
    queryset = Enrollment.objects.filter(child_id__in=_scoped_child_ids(user))
    if school_year_ids is not None:
        queryset = queryset.filter(school_year_id__in=school_year_ids)
    rows = queryset.order_by("-school_year__starts_on", "service__kind", "pk").values_list(
        "pk",
        "child_id",
        "service__name",
        "service__kind",
        "school_year__name",
        "status",
        "rejection_reason",
        "protocol",
        "step",
    )
    return [
        EnrollmentCard(pk, child, name, kind, year, status, None, reason, protocol, step)
        for pk, child, name, kind, year, status, reason, protocol, step in rows
    ]


def enrollment_cards_positions_fill(*, cards: list[EnrollmentCard]) -> list[EnrollmentCard]:
    """The cards with the current waiting-list position of each waiting one (one query, only if one waits)."""
    waiting = [card.pk for card in cards if card.status == Enrollment.Status.WAITLISTED]
    if not waiting:
        return cards
    rows_waiting = waitlist_position_annotate(queryset=Enrollment.objects.filter(pk__in=waiting))
    positions = {row.pk: getattr(row, "waitlist_position", None) for row in rows_waiting}
    return [replace(card, position=positions.get(card.pk)) if card.pk in positions else card for card in cards]


def school_year_list() -> QuerySet[SchoolYear]:
    return SchoolYear.objects.all()


def school_year_get(*, pk: int) -> SchoolYear:
    year = SchoolYear.objects.filter(pk=pk).first()
    if year is None:
        raise Http404
    return year
