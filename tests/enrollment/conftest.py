"""Enrollment fixtures: a school year with open windows, three services with their plans, a school with
classes, a transport route of 3 seats with stops, office staff. `parent` and `giulia` come from tests/conftest.py."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from enrollment.models import ServiceKind

from .factories import (
    CANTEEN_BANDS,
    NURSERY_BANDS,
    TRANSPORT_BANDS,
    EnrollmentWindowFactory,
    RouteFactory,
    SchoolClassFactory,
    SchoolFactory,
    SchoolYearFactory,
    ServiceFactory,
    StopFactory,
    UserFactory,
    plan_with_bands,
)


@pytest.fixture
def school_year(db):
    return SchoolYearFactory(start=2026)


@pytest.fixture
def previous_year(db):
    return SchoolYearFactory(start=2025)


@pytest.fixture
def school(db):
    return SchoolFactory(name="Scuola primaria Gianni Rodari", ministry_code="RMEE00101X")


@pytest.fixture
def other_school(db):
    return SchoolFactory(name="Scuola primaria Maria Montessori", ministry_code="RMEE00202X")


@pytest.fixture
def school_class(school):
    return SchoolClassFactory(school=school, name="3A")


@pytest.fixture
def other_class(other_school):
    return SchoolClassFactory(school=other_school, name="3A")


@pytest.fixture
def canteen(school, other_school):
    return ServiceFactory(kind=ServiceKind.CANTEEN, schools=[school, other_school])


@pytest.fixture
def transport(school):
    return ServiceFactory(kind=ServiceKind.TRANSPORT, schools=[school])


@pytest.fixture
def nursery(db):
    nido = SchoolFactory(name="Nido Girasoli", kind="nido", ministry_code="RMNIDO001X")
    return ServiceFactory(kind=ServiceKind.NURSERY, schools=[nido])


@pytest.fixture
def canteen_plan(canteen, school_year):
    """2,50 / 3,50 / 4,50 € a pasto; non-residents 6,00 €; siblings 20% and 30% off; no ISEE → top band."""
    return plan_with_bands(
        service=canteen, school_year=school_year, bands=CANTEEN_BANDS, non_resident_amount=Decimal("6.00")
    )


@pytest.fixture
def transport_plan(transport, school_year):
    return plan_with_bands(
        service=transport, school_year=school_year, bands=TRANSPORT_BANDS, no_isee_amount=Decimal("300.00")
    )


@pytest.fixture
def nursery_plan(nursery, school_year):
    return plan_with_bands(service=nursery, school_year=school_year, bands=NURSERY_BANDS)


@pytest.fixture
def canteen_window(canteen, school_year):
    return EnrollmentWindowFactory(service=canteen, school_year=school_year)


@pytest.fixture
def transport_window(transport, school_year):
    return EnrollmentWindowFactory(service=transport, school_year=school_year)


@pytest.fixture
def open_windows(canteen_window, transport_window, canteen_plan, transport_plan):
    """Canteen and transport open now for 2026/2027, with their plans."""
    return [canteen_window, transport_window]


@pytest.fixture
def route(school_year, school):
    """ "Linea 1", 3 seats, serving the school, stops 1 (Piazza Roma) and 2 (Via Verdi)."""
    line = RouteFactory(school_year=school_year, name="Linea 1", capacity=3, schools=[school])
    StopFactory(route=line, order=1, name="Piazza Roma", outbound_time=datetime.time(7, 30))
    StopFactory(route=line, order=2, name="Via Verdi", outbound_time=datetime.time(7, 40))
    return line


@pytest.fixture
def other_route(school_year, school):
    line = RouteFactory(school_year=school_year, name="Linea 2", capacity=10, schools=[school])
    StopFactory(route=line, order=1, name="Largo Garibaldi")
    return line


def _staff(codice_fiscale: str, email: str, *perms: str):
    user = UserFactory(codice_fiscale=codice_fiscale, email=email, is_staff=True, first_name="Ufficio")
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="enrollment", codename__in=perms))
    return user


@pytest.fixture
def office(db):
    """Office staff who review enrollments (no health data permission)."""
    return _staff("UFFSCL80A01H501X", "ufficio@comune.example.it", "view_enrollment", "change_enrollment")


@pytest.fixture
def health_officer(db):
    """Office staff who may open medical diets and certificates."""
    return _staff(
        "UFFSAN80A01H501X", "sanita@comune.example.it", "view_enrollment", "change_enrollment", "view_health_data"
    )
