"""The canteen's service days: weekdays between the first and last day, minus national holidays, patron, closures."""

import datetime

from canteen.calendar import service_days

D = datetime.date


def test_weekdays_minus_national_holidays_patron_and_closures():
    days = list(
        service_days(
            first_day=D(2026, 12, 1),
            last_day=D(2026, 12, 31),
            weekdays="12345",
            patron_day=D(2026, 12, 4),
            closures=[(D(2026, 12, 23), D(2026, 12, 31))],
        )
    )
    assert D(2026, 12, 1) in days  # a Tuesday
    assert D(2026, 12, 5) not in days  # the weekend
    assert D(2026, 12, 6) not in days
    assert D(2026, 12, 4) not in days  # the patron saint
    assert D(2026, 12, 8) not in days  # Immacolata, a national holiday from the package
    assert all(day < D(2026, 12, 23) for day in days)  # the Christmas closure
    assert len(days) == 14


def test_a_six_day_school_serves_saturdays_but_not_national_holidays():
    days = list(service_days(first_day=D(2027, 4, 24), last_day=D(2027, 5, 1), weekdays="123456"))
    assert D(2027, 4, 24) in days  # Saturday
    assert D(2027, 4, 25) not in days  # Sunday and Liberazione
    assert D(2027, 5, 1) not in days  # Festa dei lavoratori, a Saturday
    assert D(2027, 4, 26) in days
