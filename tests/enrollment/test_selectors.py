"""Enrollment reads: windows, what a child may be enrolled in, the family's enrollments (scoped, constant
queries, waiting positions), choices for the wizard, plans."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enrollment import selectors, services
from enrollment.errors import EnrollmentNotFoundError
from enrollment.models import Enrollment

from .factories import EnrollmentWindowFactory, ServiceFactory, child_of, draft_ready, enrollment_make

S = Enrollment.Status


def test_open_windows(open_windows, nursery, school_year):
    future = EnrollmentWindowFactory(
        service=nursery,
        school_year=school_year,
        opens_at=timezone.now() + datetime.timedelta(days=3),
        closes_at=timezone.now() + datetime.timedelta(days=30),
    )
    assert set(selectors.window_list_open()) == set(open_windows)
    assert future in selectors.window_list_open(now=timezone.now() + datetime.timedelta(days=4))


def test_services_open_for_child_states(parent, giulia, open_windows, nursery, school_year, previous_year, canteen):
    opens = timezone.now() + datetime.timedelta(days=3)
    EnrollmentWindowFactory(
        service=nursery, school_year=school_year, opens_at=opens, closes_at=opens + datetime.timedelta(days=9)
    )
    old = timezone.now() - datetime.timedelta(days=400)
    EnrollmentWindowFactory(  # a school year already over: not listed
        service=canteen, school_year=previous_year, opens_at=old, closes_at=old + datetime.timedelta(days=9)
    )
    draft = services.enrollment_draft_start(
        user=parent, child_id=giulia.pk, service_id=canteen.pk, school_year_id=school_year.pk
    )
    with CaptureQueriesContext(connection) as queries:
        options = selectors.service_options_for_user(user=parent, child_id=giulia.pk)
    assert len(queries.captured_queries) == 3
    by_kind = {option.service.kind: option for option in options}
    assert set(by_kind) == {"canteen", "transport", "nursery"}
    assert by_kind["canteen"].state == "open"
    assert by_kind["canteen"].is_open
    assert by_kind["canteen"].enrollment == draft
    assert by_kind["transport"].enrollment is None
    assert by_kind["nursery"].state == "future"
    assert by_kind["nursery"].opens_at == opens
    later = timezone.now() + datetime.timedelta(days=60)
    states = {
        o.service.kind: o.state for o in selectors.service_options_for_user(user=parent, child_id=giulia.pk, now=later)
    }
    assert states == {"canteen": "closed", "transport": "closed", "nursery": "closed"}


def test_services_open_for_another_familys_child(other_parent, giulia, open_windows):
    with pytest.raises(EnrollmentNotFoundError):
        selectors.service_options_for_user(user=other_parent, child_id=giulia.pk)


def test_enrollment_list_is_scoped_and_constant(parent, other_parent, giulia, canteen, transport, school_year):
    mine = [
        enrollment_make(child=giulia, service=canteen, school_year=school_year, created_by=parent),
        enrollment_make(
            child=child_of(parent),
            service=transport,
            school_year=school_year,
            created_by=parent,
            status=S.REJECTED,
            rejection_reason="Fuori zona",
        ),
    ]
    enrollment_make(child=child_of(other_parent), service=canteen, school_year=school_year, created_by=other_parent)
    with CaptureQueriesContext(connection) as queries:
        rows = list(selectors.enrollment_list_for_user(user=parent))
        labels = [(row.child.first_name, row.service.name, row.school_year.name, row.status) for row in rows]
    assert len(queries.captured_queries) == 1
    assert {row.pk for row in rows} == {row.pk for row in mine}
    assert len(labels) == 2
    assert {row.rejection_reason for row in rows} == {"", "Fuori zona"}


def test_enrollment_get_for_user(parent, other_parent, giulia, canteen, school_year):
    enrollment = enrollment_make(child=giulia, service=canteen, school_year=school_year, created_by=parent)
    assert selectors.enrollment_get_for_user(user=parent, pk=enrollment.pk) == enrollment
    with pytest.raises(EnrollmentNotFoundError):
        selectors.enrollment_get_for_user(user=other_parent, pk=enrollment.pk)
    with pytest.raises(EnrollmentNotFoundError):
        selectors.enrollment_get_for_user(user=parent, pk=999999)


def test_revoked_guardian_sees_nothing(parent, other_parent, giulia, canteen, school_year):
    from accounts.models import Guardianship

    guardianship = Guardianship.objects.create(adult=other_parent, child=giulia, role=Guardianship.Role.DELEGATE)
    enrollment = enrollment_make(child=giulia, service=canteen, school_year=school_year, created_by=parent)
    assert selectors.enrollment_get_for_user(user=other_parent, pk=enrollment.pk) == enrollment
    guardianship.revoked_at = timezone.now()
    guardianship.save()
    assert not selectors.enrollment_list_for_user(user=other_parent).exists()


def test_waitlist_positions_follow_rank_then_submission(parent, transport, school_year, route, canteen):
    now = timezone.now()
    waiting = [
        enrollment_make(
            child=child_of(parent),
            service=transport,
            school_year=school_year,
            created_by=parent,
            route=route,
            status=S.WAITLISTED,
            submitted_at=now + datetime.timedelta(minutes=index),
        )
        for index in range(4)
    ]
    other_list = enrollment_make(
        child=child_of(parent), service=canteen, school_year=school_year, created_by=parent, status=S.WAITLISTED
    )
    holder = enrollment_make(
        child=child_of(parent), service=transport, school_year=school_year, created_by=parent, route=route
    )
    assert [selectors.waitlist_position_get(enrollment=e) for e in waiting] == [1, 2, 3, 4]
    assert selectors.waitlist_position_get(enrollment=other_list) == 1  # another list
    assert selectors.waitlist_position_get(enrollment=holder) is None
    Enrollment.objects.filter(pk=waiting[3].pk).update(waitlist_rank=1)
    Enrollment.objects.filter(pk=waiting[2].pk).update(waitlist_rank=2)
    positions = {row.pk: row.waitlist_position for row in selectors.enrollment_list_for_user(user=parent)}
    assert [positions[e.pk] for e in waiting] == [3, 4, 2, 1]
    assert positions[holder.pk] is None
    assert list(
        selectors.waitlist_list(service_id=transport.pk, school_year_id=school_year.pk, route_id=route.pk)
    ) == [waiting[3], waiting[2], waiting[0], waiting[1]]


def test_same_submission_time_is_ordered_by_id(parent, transport, school_year, route):
    at = timezone.now()
    rows = [
        enrollment_make(
            child=child_of(parent),
            service=transport,
            school_year=school_year,
            created_by=parent,
            route=route,
            status=S.WAITLISTED,
            submitted_at=at,
        )
        for _ in range(3)
    ]
    assert [selectors.waitlist_position_get(enrollment=row) for row in rows] == [1, 2, 3]


def test_family_cards_in_one_query_without_waiting_ones(parent, giulia, canteen, school_year):
    enrollment_make(child=giulia, service=canteen, school_year=school_year, created_by=parent, status=S.ACCEPTED)
    with CaptureQueriesContext(connection) as queries:
        cards = selectors.enrollment_cards_for_user(user=parent)
    assert len(queries.captured_queries) == 1
    assert [(card.status, card.position) for card in cards] == [("accepted", None)]


def test_family_cards_with_a_waiting_one_in_two_queries(
    parent, other_parent, giulia, canteen, transport, school_year, route
):
    enrollment_make(child=giulia, service=canteen, school_year=school_year, created_by=parent, status=S.ACCEPTED)
    enrollment_make(
        child=giulia, service=transport, school_year=school_year, created_by=parent, route=route, status=S.WAITLISTED
    )
    enrollment_make(child=child_of(other_parent), service=canteen, school_year=school_year, created_by=other_parent)
    with CaptureQueriesContext(connection) as queries:
        cards = selectors.enrollment_cards_for_user(user=parent)
        labels = [card.status_label for card in cards]
    assert len(queries.captured_queries) == 2
    assert [(card.service_kind, card.status, card.position, card.child_id) for card in cards] == [
        ("canteen", "accepted", None, giulia.pk),
        ("transport", "waitlisted", 1, giulia.pk),
    ]
    assert labels == ["accolta", "in lista d'attesa"]
    assert cards[1].can_withdraw
    assert not cards[0].is_draft


def test_route_seats(parent, transport, school_year, route):
    for status in (S.SUBMITTED, S.ACCEPTED, S.WAITLISTED, S.WITHDRAWN):
        enrollment_make(
            child=child_of(parent),
            service=transport,
            school_year=school_year,
            created_by=parent,
            route=route,
            status=status,
        )
    assert selectors.route_seats_count(route=route) == (2, 3)


def test_wizard_choices(
    school,
    school_class,
    other_school,
    canteen,
    route,
    other_route,
    previous_year,
    parent,
    giulia,
    transport,
    school_year,
):
    from .factories import RouteFactory

    assert list(selectors.school_class_list(school=school)) == [school_class]
    assert list(selectors.school_class_list(school=school.pk)) == [school_class]
    assert list(selectors.school_list(service=canteen)) == [school, other_school]
    assert [stop.name for stop in selectors.stop_list(route=route)] == ["Piazza Roma", "Via Verdi"]
    RouteFactory(school_year=previous_year, name="Vecchia")
    RouteFactory(school_year=school_year, name="Altra scuola", schools=[other_school])
    everywhere = RouteFactory(school_year=school_year, name="Tutte")
    enrollment = enrollment_make(
        child=giulia, service=transport, school_year=school_year, created_by=parent, school=school, status=S.DRAFT
    )
    assert list(selectors.route_list(enrollment=enrollment)) == [route, other_route, everywhere]


def test_tariff_plan_for(canteen_plan, canteen, school_year, transport, django_assert_num_queries):
    with django_assert_num_queries(2):
        plan = selectors.tariff_plan_get(service=canteen, school_year=school_year)
        pure = selectors.tariff_plan_to_pure(plan=plan)
    assert pure.unit == "meal"
    assert [band.amount for band in pure.bands] == [Decimal("2.50"), Decimal("3.50"), Decimal("4.50")]
    assert pure.non_resident_amount == Decimal("6.00")
    assert selectors.tariff_plan_get(service=transport, school_year=school_year) is None


def test_enrollment_tariff_lines(parent, giulia, open_windows, canteen, school_year, school):
    draft = draft_ready(
        user=parent, child=giulia, service=canteen, school_year=school_year, school=school, isee=Decimal("100")
    )
    enrollment = services.enrollment_submit(enrollment=draft, user=parent, declarations=True)
    assert selectors.enrollment_tariff_lines(enrollment=enrollment) == [
        "Fascia ISEE da 0,00 € a 7.500,00 € (escluso): 2,50 € a pasto",
        "Tariffa: 2,50 € a pasto",
    ]


def test_service_factory_is_one_per_kind(canteen):
    assert ServiceFactory(kind="canteen") == canteen
