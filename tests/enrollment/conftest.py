"""Enrollment fixtures: a school year with open windows, three services with their plans, a school with
classes, a transport route of 3 seats with stops, office staff, a draft and its submission, the office's review
queue. `parent` and `giulia` come from tests/conftest.py."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from enrollment import services
from enrollment.models import Enrollment, ServiceKind

from .factories import (
    CANTEEN_BANDS,
    NURSERY_BANDS,
    TRANSPORT_BANDS,
    ChildFactory,
    EnrollmentWindowFactory,
    RouteFactory,
    SchoolClassFactory,
    SchoolFactory,
    SchoolYearFactory,
    ServiceFactory,
    StopFactory,
    UserFactory,
    draft_ready,
    enrollment_make,
    plan_with_bands,
)
from .helpers import post_step, signed_in, start

Status = Enrollment.Status


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


# --- drafts and submissions (services and wizard tests) ------------------------------------------------------------


@pytest.fixture
def draft(parent, giulia, open_windows, canteen, school_year, school, school_class):
    return draft_ready(
        user=parent, child=giulia, service=canteen, school_year=school_year, school=school, school_class=school_class
    )


@pytest.fixture
def submitted(draft, parent):
    return services.enrollment_submit(enrollment=draft, user=parent, declarations=True)


@pytest.fixture
def canteen_draft(parent_client, giulia, open_windows, canteen_window):
    return start(parent_client, giulia, canteen_window)


@pytest.fixture
def at_diet(canteen_draft, parent_client, school, school_class):
    post_step(parent_client, canteen_draft, "scuola", {"school": school.pk})
    post_step(parent_client, canteen_draft, "classe", {"school_class": school_class.pk})
    post_step(parent_client, canteen_draft, "residenza", {"resident": "si"})
    post_step(parent_client, canteen_draft, "isee", {"presented": "no"})
    return canteen_draft


# --- the office's admin ----------------------------------------------------------------------------------------------


@pytest.fixture
def office_client(client, office):
    return signed_in(client, office)


@pytest.fixture
def superuser_client(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    return signed_in(client, user)


@pytest.fixture
def queue(canteen, transport, school, school_class, school_year, route, canteen_plan):
    """Two submitted, one accepted, two waitlisted on the route (the second ranked first by the office)."""
    now = timezone.now()
    anna = enrollment_make(
        child=ChildFactory(first_name="Anna", last_name="Alberti", codice_fiscale="LBRNNA18A41H501Z"),
        service=canteen,
        school_year=school_year,
        school=school,
        school_class=school_class,
        submitted_at=now - datetime.timedelta(hours=5),
        isee_presented=True,
        isee_amount=Decimal("8000"),
        isee_expires_on=datetime.date(2020, 12, 31),
        tariff_steps=[
            {"code": "band", "isee_from": "7500.00", "isee_to": "15000.00", "amount": "3.50"},
            {"code": "total", "amount": "3.50"},
        ],
    )
    bruno = enrollment_make(
        child=ChildFactory(first_name="Bruno", last_name="Bassi"),
        service=canteen,
        school_year=school_year,
        school=school,
        submitted_at=now - datetime.timedelta(hours=4),
        isee_presented=True,
        isee_amount=Decimal("20000"),
        isee_expires_on=datetime.date(2027, 12, 31),
        diet=Enrollment.Diet.VEGETARIAN,
        diet_status=Enrollment.DietStatus.REQUESTED,
    )
    carla = enrollment_make(
        status=Status.ACCEPTED,
        child=ChildFactory(first_name="Carla", last_name="Conti"),
        service=canteen,
        school_year=school_year,
        school=school,
    )
    stop = route.stops.first()
    first_waiting = enrollment_make(
        status=Status.WAITLISTED,
        child=ChildFactory(first_name="Dario", last_name="Donati"),
        service=transport,
        school_year=school_year,
        school=school,
        route=route,
        stop=stop,
        direction=Enrollment.Direction.BOTH,
        submitted_at=now - datetime.timedelta(hours=3),
    )
    ranked = enrollment_make(
        status=Status.WAITLISTED,
        child=ChildFactory(first_name="Elsa", last_name="Esposito"),
        service=transport,
        school_year=school_year,
        school=school,
        route=route,
        stop=stop,
        direction=Enrollment.Direction.BOTH,
        submitted_at=now - datetime.timedelta(hours=2),
        waitlist_rank=1,
    )
    return {"anna": anna, "bruno": bruno, "carla": carla, "dario": first_waiting, "elsa": ranked}
