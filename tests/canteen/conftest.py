"""Canteen fixtures: the 2026/2027 year at the Rodari school with its calendar (Mon-Fri, 14/09/2026 to 10/06/2027,
patron 04/10), Giulia (Maria Rossi's daughter) accepted in the canteen at 4,50 € a meal, a classmate at 2,50 €,
the office's rules (cut-off 09:30), an office clerk; `now_at` moves the clock (Europe/Rome wall time)."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission

from canteen.models import CanteenCalendar, CanteenPolicy
from enrollment.models import Enrollment, ServiceKind
from tests.enrollment.factories import (
    SchoolFactory,
    SchoolYearFactory,
    ServiceFactory,
    UserFactory,
    child_of,
    enrollment_make,
)

ROME = ZoneInfo("Europe/Rome")
D = datetime.date


@pytest.fixture
def year(db):
    return SchoolYearFactory(start=2026)


@pytest.fixture
def rodari(db):
    return SchoolFactory(name="Scuola primaria Gianni Rodari", ministry_code="RMEE00101X")


@pytest.fixture
def montessori(db):
    return SchoolFactory(name="Scuola primaria Maria Montessori", ministry_code="RMEE00202X")


@pytest.fixture
def canteen_service(rodari, montessori):
    return ServiceFactory(kind=ServiceKind.CANTEEN, schools=[rodari, montessori])


@pytest.fixture
def calendar(year, rodari):
    return CanteenCalendar.objects.create(
        school_year=year, school=rodari, first_day=D(2026, 9, 14), last_day=D(2027, 6, 10), patron_day=D(2026, 10, 4)
    )


@pytest.fixture
def montessori_calendar(year, montessori):
    return CanteenCalendar.objects.create(
        school_year=year, school=montessori, first_day=D(2026, 9, 14), last_day=D(2027, 6, 10)
    )


@pytest.fixture
def policy(year):
    return CanteenPolicy.objects.create(
        school_year=year, cutoff_time=datetime.time(9, 30), overdraft_limit=Decimal("10.00")
    )


def accepted(child, *, service, year, school, tariff="4.50") -> Enrollment:
    return enrollment_make(
        child=child,
        service=service,
        school_year=year,
        school=school,
        status=Enrollment.Status.ACCEPTED,
        tariff_amount=Decimal(tariff),
    )


@pytest.fixture
def meal_enrollment(giulia, canteen_service, year, rodari, calendar, policy):
    """Giulia, accepted in the Rodari canteen at 4,50 € a meal."""
    return accepted(giulia, service=canteen_service, year=year, school=rodari)


@pytest.fixture
def classmate_enrollment(other_parent, canteen_service, year, rodari, calendar, policy):
    child = child_of(other_parent, first_name="Luca", last_name="Bianchi", codice_fiscale="BNCLCU18A01H501F")
    return accepted(child, service=canteen_service, year=year, school=rodari, tariff="2.50")


@pytest.fixture
def clerk(db):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=["canteen", "payments"]))
    return user


@pytest.fixture
def now_at():
    """Travel to a wall-clock moment in Rome: now_at(2026, 12, 3, 9, 29, 59)."""
    travellers = []

    def travel(*parts):
        traveller = time_machine.travel(datetime.datetime(*parts, tzinfo=ROME), tick=False)
        traveller.start()
        travellers.append(traveller)

    yield travel
    for traveller in reversed(travellers):
        traveller.stop()
