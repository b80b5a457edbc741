"""The family summary cache tests' world: a family, a school year with the canteen open, the office."""

import datetime
from types import SimpleNamespace

import pytest

from accounts import services as account_services
from enrollment.models import ServiceKind
from tests.conftest import make_user
from tests.enrollment.factories import (
    EnrollmentWindowFactory,
    SchoolFactory,
    SchoolYearFactory,
    ServiceFactory,
    plan_with_bands,
)


@pytest.fixture
def world(parent, other_parent, client, legal_documents):
    """Maria (parent) with Giulia; a school year with the canteen open; the office; Maria signed in."""
    year = SchoolYearFactory(start=2026)
    school = SchoolFactory(name="Scuola primaria Gianni Rodari")
    canteen = ServiceFactory(kind=ServiceKind.CANTEEN, schools=[school])
    plan_with_bands(service=canteen, school_year=year)
    EnrollmentWindowFactory(service=canteen, school_year=year)
    giulia = account_services.child_add(
        adult=parent,
        codice_fiscale="RSSGLI18C52H501V",
        first_name="Giulia",
        last_name="Rossi",
        birth_date=datetime.date(2018, 3, 12),
        sex="F",
    )
    office = make_user(
        codice_fiscale="VRDGLI79P61A944R",
        email="ufficio@example.it",
        is_staff=True,
        is_superuser=True,
        documents=legal_documents,
    )
    client.force_login(parent)
    return SimpleNamespace(
        parent=parent,
        other=other_parent,
        child=giulia,
        office=office,
        year=year,
        school=school,
        canteen=canteen,
        client=client,
    )
