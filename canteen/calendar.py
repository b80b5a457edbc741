"""The canteen's service days, computed (no ORM): a calendar's weekdays between its first and last day, minus Italy's
national holidays (the `holidays` package), the patron saint's day and the closures."""

import datetime
from collections.abc import Iterable, Iterator
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def national_holidays(year: int) -> frozenset[datetime.date]:
    """Italy's national holidays of one calendar year."""
    return frozenset(holidays.country_holidays("IT", years=year))


def service_days(
    *,
    first_day: datetime.date,
    last_day: datetime.date,
    weekdays: str,
    patron_day: datetime.date | None = None,
    closures: Iterable[tuple[datetime.date, datetime.date]] = (),
) -> Iterator[datetime.date]:
    """Every day with canteen service, in order. `closures` are (first, last) pairs, both days included."""
    spans = list(closures)
    day = first_day
    while day <= last_day:
        if (
            str(day.isoweekday()) in weekdays
            and day not in national_holidays(day.year)
            and day != patron_day
            and not any(start <= day <= end for start, end in spans)
        ):
            yield day
        day += datetime.timedelta(days=1)
