"""Enrollments in the user's data export, and why an account that sent enrollments is anonymised, not deleted."""

from decimal import Decimal

import pytest

from enrollment.models import Enrollment
from enrollment.privacy import RETENTION_REASON
from portal.privacy import personal_data_collect, retention_reasons

from .factories import enrollment_make

pytestmark = pytest.mark.django_db


def test_export_lists_the_familys_enrollments_with_what_was_declared(
    parent, other_parent, giulia, canteen, school_year
):
    enrollment_make(
        child=giulia,
        service=canteen,
        school_year=school_year,
        created_by=parent,
        status=Enrollment.Status.ACCEPTED,
        isee_presented=True,
        isee_amount=Decimal("9800.00"),
        diet=Enrollment.Diet.VEGETARIAN,
    )
    rows = personal_data_collect(user=parent)["iscrizioni"]
    assert len(rows) == 1
    assert rows[0]["bambino_codice_fiscale"] == giulia.codice_fiscale
    assert rows[0]["isee_valore"] == "9800.00"
    assert rows[0]["stato"] == "accolta"
    assert personal_data_collect(user=other_parent)["iscrizioni"] == []


def test_sent_enrollments_keep_the_account(parent, giulia, canteen, school_year):
    enrollment_make(child=giulia, service=canteen, school_year=school_year, created_by=parent)
    assert RETENTION_REASON in retention_reasons(user=parent)


def test_a_draft_alone_does_not_keep_the_account(parent, giulia, canteen, school_year):
    enrollment_make(child=giulia, service=canteen, school_year=school_year, created_by=parent, status="draft")
    assert RETENTION_REASON not in retention_reasons(user=parent)
