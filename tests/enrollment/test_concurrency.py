"""Concurrent submissions on PostgreSQL: a route's capacity is never exceeded, the waiting list keeps the order in
which seats were asked for, and a freed seat goes to the first waiting. Real threads, real transactions."""

import threading

import pytest
from django.conf import settings
from django.db import connection

from enrollment import selectors, services
from enrollment.models import Enrollment

from .factories import UserFactory, child_of, draft_ready

S = Enrollment.Status

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.USING_SERVICES, reason="row locks need PostgreSQL"),
]


@pytest.fixture(autouse=True)
def _no_delivery(monkeypatch):
    """Outbox rows are written; delivering them (PDF receipts) is not what these tests measure."""
    monkeypatch.setattr("portal.mail._dispatch", lambda email_id: None)


def run_together(functions) -> list:
    """Run each function in its own thread (own connection, closed at the end), released at the same moment."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def worker(index, function):
        try:
            barrier.wait(timeout=10)
            results[index] = function()
        except Exception as exc:  # reported to the test, which fails on it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    errors = [result for result in results if isinstance(result, Exception)]
    assert not errors, errors
    return results


def transport_drafts(count, *, transport, school_year, school, route):
    drafts = []
    for _ in range(count):
        adult = UserFactory()
        drafts.append(
            (
                adult,
                draft_ready(
                    user=adult,
                    child=child_of(adult),
                    service=transport,
                    school_year=school_year,
                    school=school,
                    route=route,
                ),
            )
        )
    return drafts


def submit(adult, draft):
    return lambda: services.enrollment_submit(enrollment=draft, user=adult, declarations=True).pk


def test_ten_submissions_for_three_seats(transport, transport_window, transport_plan, school_year, school, route):
    drafts = transport_drafts(10, transport=transport, school_year=school_year, school=school, route=route)
    run_together([submit(adult, draft) for adult, draft in drafts])

    rows = list(Enrollment.objects.filter(route=route).order_by("submitted_at", "pk"))
    assert [row.status for row in rows] == [S.SUBMITTED] * 3 + [S.WAITLISTED] * 7
    assert selectors.route_seats_count(route=route) == (3, 3)
    assert [selectors.waitlist_position_get(enrollment=row) for row in rows[3:]] == [1, 2, 3, 4, 5, 6, 7]
    assert len({row.protocol for row in rows}) == 10
    assert sorted(int(row.protocol[-6:]) for row in rows) == list(range(1, 11))


def test_withdrawal_during_submissions_gives_the_seat_to_the_first_waiting(
    transport, transport_window, transport_plan, school_year, school, route
):
    first = transport_drafts(6, transport=transport, school_year=school_year, school=school, route=route)
    for adult, draft in first:  # 3 seat holders, then 3 waiting in this order
        services.enrollment_submit(enrollment=draft, user=adult, declarations=True)
    holders = list(Enrollment.objects.filter(route=route, status=S.SUBMITTED).order_by("submitted_at"))
    waiting = list(Enrollment.objects.filter(route=route, status=S.WAITLISTED).order_by("submitted_at"))
    late = transport_drafts(4, transport=transport, school_year=school_year, school=school, route=route)
    leaver_adult = first[0][0]

    run_together(
        [lambda: services.enrollment_withdraw(enrollment=holders[0], user=leaver_adult).pk]
        + [submit(adult, draft) for adult, draft in late]
    )

    assert selectors.route_seats_count(route=route) == (3, 3)
    assert Enrollment.objects.get(pk=waiting[0].pk).status == S.SUBMITTED
    assert Enrollment.objects.get(pk=waiting[0].pk).events.order_by("pk").last().action == "seat_offered"
    assert Enrollment.objects.filter(pk__in=[w.pk for w in waiting[1:]], status=S.WAITLISTED).count() == 2
    assert Enrollment.objects.filter(route=route, status=S.WAITLISTED).count() == 6


def test_siblings_submitted_at_once_get_distinct_ranks(canteen, canteen_window, canteen_plan, school_year, school):
    adult = UserFactory()
    drafts = [
        draft_ready(user=adult, child=child_of(adult), service=canteen, school_year=school_year, school=school)
        for _ in range(3)
    ]
    run_together([submit(adult, draft) for draft in drafts])
    assert sorted(Enrollment.objects.values_list("sibling_rank", flat=True)) == [1, 2, 3]
