"""A second service for the same child and year takes school, class, residency and ISEE from the first: shown
prefilled, editable, never over what the parent answered, never another adult's ISEE (issue 10, item 8)."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import Guardianship
from enrollment import services
from enrollment.models import Enrollment

from .factories import SchoolFactory, UserFactory
from .helpers import DSU, page_text, post_step, start, step_url

pytestmark = pytest.mark.django_db

ISEE = {"presented": "si", "amount": "12.345,67", "protocol": DSU, "expires_on": "31/12/2027"}


def _fill_shared_steps(client, draft, school, school_class):
    post_step(client, draft, "scuola", {"school": school.pk})
    post_step(client, draft, "classe", {"school_class": school_class.pk})
    post_step(client, draft, "residenza", {"resident": "si"})
    post_step(client, draft, "isee", ISEE)


def _other_draft(first: Enrollment) -> Enrollment:
    return Enrollment.objects.exclude(pk=first.pk).get(child=first.child, status=Enrollment.Status.DRAFT)


def test_drafts_started_together_share_the_answers_of_the_first(
    parent_client, giulia, canteen_window, transport_window, open_windows, school, school_class, canteen, transport
):
    canteen_draft = start(parent_client, giulia, canteen_window, transport_window)
    transport.schools.add(school)

    _fill_shared_steps(parent_client, canteen_draft, school, school_class)

    other = _other_draft(canteen_draft)
    assert other.service == transport
    assert (other.school, other.school_class, other.resident) == (school, school_class, True)
    assert (other.isee_presented, other.isee_amount, other.isee_protocol) == (True, Decimal("12345.67"), DSU)
    assert other.isee_expires_on == datetime.date(2027, 12, 31)
    page = page_text(parent_client.get(step_url(other, "isee")))
    assert "12.345,67" in page or "12345,67" in page  # shown, and editable on its page


def test_a_draft_started_later_takes_them_at_start(
    parent_client, giulia, canteen_window, transport_window, open_windows, school, school_class, transport
):
    transport.schools.add(school)
    canteen_draft = start(parent_client, giulia, canteen_window)
    _fill_shared_steps(parent_client, canteen_draft, school, school_class)

    start(parent_client, giulia, transport_window)

    transport_draft = Enrollment.objects.get(child=giulia, service=transport)
    assert (transport_draft.school, transport_draft.school_class) == (school, school_class)
    assert transport_draft.isee_amount == Decimal("12345.67")


def test_what_the_parent_answered_on_the_second_draft_stays(
    parent_client, giulia, canteen_window, transport_window, open_windows, school, school_class, transport
):
    transport.schools.add(school)
    canteen_draft = start(parent_client, giulia, canteen_window, transport_window)
    other = _other_draft(canteen_draft)
    post_step(parent_client, other, "residenza", {"resident": "no"})

    _fill_shared_steps(parent_client, canteen_draft, school, school_class)

    other.refresh_from_db()
    assert other.resident is False
    assert other.school == school


def test_a_school_the_second_service_does_not_serve_is_not_carried(
    parent_client, giulia, canteen_window, transport_window, open_windows, school, school_class, transport
):
    transport.schools.clear()
    other_school = SchoolFactory(name="Altra scuola", ministry_code="RMEE00999X")
    transport.schools.add(other_school)
    canteen_draft = start(parent_client, giulia, canteen_window, transport_window)

    _fill_shared_steps(parent_client, canteen_draft, school, school_class)

    other = _other_draft(canteen_draft)
    assert other.school is None
    assert other.school_class is None
    assert other.isee_amount == Decimal("12345.67")
    assert other_school.pk


def test_another_adults_isee_is_never_carried(
    client, parent, parent_client, giulia, canteen_window, transport_window, open_windows, school, school_class
):
    canteen_draft = start(parent_client, giulia, canteen_window)
    _fill_shared_steps(parent_client, canteen_draft, school, school_class)
    delegate = UserFactory()
    Guardianship.objects.create(adult=delegate, child=giulia, role=Guardianship.Role.DELEGATE, granted_by=parent)

    theirs = services.enrollment_draft_start(
        user=delegate,
        child_id=giulia.pk,
        service_id=transport_window.service_id,
        school_year_id=transport_window.school_year_id,
    )

    assert theirs.isee_amount is None
    assert theirs.isee_presented is None
