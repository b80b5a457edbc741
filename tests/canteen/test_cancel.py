"""Cancelling before the cut-off, Europe/Rome time, daylight-saving days included; refused after it on the server."""

import datetime

import pytest

from canteen import services
from canteen.errors import CanteenError, CutoffPassedError, NotServiceDayError
from canteen.models import MealCancellation
from canteen.selectors import cutoff_of, policy_of

D = datetime.date
UTC = datetime.UTC


@pytest.mark.django_db
def test_the_cut_off_edge(meal_enrollment, parent, now_at):
    now_at(2026, 12, 3, 9, 29, 59)
    services.meals_cancel(enrollment=meal_enrollment, days=[D(2026, 12, 3)], kind="cancel", actor=parent)
    assert MealCancellation.objects.get().date == D(2026, 12, 3)


@pytest.mark.django_db
def test_at_the_cut_off_it_is_too_late(meal_enrollment, parent, now_at):
    now_at(2026, 12, 3, 9, 30, 0)
    with pytest.raises(CutoffPassedError, match="ora limite"):
        services.meals_cancel(enrollment=meal_enrollment, days=[D(2026, 12, 3)], kind="cancel", actor=parent)
    assert not MealCancellation.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "utc"),
    [
        (D(2026, 10, 26), datetime.datetime(2026, 10, 26, 8, 30, tzinfo=UTC)),  # the Monday after summer time ends
        (D(2027, 3, 29), datetime.datetime(2027, 3, 29, 7, 30, tzinfo=UTC)),  # the Monday after summer time starts
        (D(2027, 3, 26), datetime.datetime(2027, 3, 26, 8, 30, tzinfo=UTC)),  # the Friday before it
    ],
)
def test_the_cut_off_is_italian_wall_time_on_daylight_saving_days(meal_enrollment, day, utc):
    assert cutoff_of(day, policy_of(meal_enrollment.school_year_id)) == utc


@pytest.mark.django_db
def test_summer_time_monday_one_second_before_and_at_the_cut_off(meal_enrollment, parent, now_at):
    now_at(2027, 3, 29, 9, 29, 59)
    assert services.cancellable(enrollment=meal_enrollment, day=D(2027, 3, 29))
    now_at(2027, 3, 29, 9, 30, 0)
    assert not services.cancellable(enrollment=meal_enrollment, day=D(2027, 3, 29))


@pytest.mark.django_db
def test_days_without_service_are_refused(meal_enrollment, parent, now_at):
    now_at(2026, 12, 3, 8, 0, 0)
    with pytest.raises(NotServiceDayError, match="08/12/2026"):
        services.meals_cancel(enrollment=meal_enrollment, days=[D(2026, 12, 8)], kind="cancel", actor=parent)


@pytest.mark.django_db
def test_a_range_skips_weekends_and_holidays(meal_enrollment):
    days = services.days_in_range(enrollment=meal_enrollment, first=D(2026, 12, 4), last=D(2026, 12, 9))
    assert days == [D(2026, 12, 4), D(2026, 12, 7), D(2026, 12, 9)]
    with pytest.raises(CanteenError):
        services.days_in_range(enrollment=meal_enrollment, first=D(2026, 12, 9), last=D(2026, 12, 4))


@pytest.mark.django_db
def test_same_request_twice_is_one_row_and_light_replaces_cancel(meal_enrollment, parent, now_at):
    now_at(2026, 12, 3, 8, 0, 0)
    for _ in range(2):
        services.meals_cancel(enrollment=meal_enrollment, days=[D(2026, 12, 4)], kind="cancel", actor=parent)
    assert MealCancellation.objects.count() == 1
    services.meals_cancel(enrollment=meal_enrollment, days=[D(2026, 12, 4)], kind="light", actor=parent)
    live = MealCancellation.objects.get(withdrawn_at__isnull=True)
    assert live.kind == "light"
    assert MealCancellation.objects.count() == 2


@pytest.mark.django_db
def test_withdraw_before_the_cut_off_only(meal_enrollment, parent, now_at):
    now_at(2026, 12, 3, 8, 0, 0)
    services.meals_cancel(
        enrollment=meal_enrollment, days=[D(2026, 12, 3), D(2026, 12, 4)], kind="cancel", actor=parent
    )
    now_at(2026, 12, 3, 10, 0, 0)
    with pytest.raises(CutoffPassedError):
        services.meals_cancel_withdraw(enrollment=meal_enrollment, days=[D(2026, 12, 3)], actor=parent)
    assert services.meals_cancel_withdraw(enrollment=meal_enrollment, days=[D(2026, 12, 4)], actor=parent) == 1
    assert list(MealCancellation.objects.filter(withdrawn_at__isnull=True).values_list("date", flat=True)) == [
        D(2026, 12, 3)
    ]
