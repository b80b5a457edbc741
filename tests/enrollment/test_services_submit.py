"""Enrollment services: tariff preview, submission (frozen, e-mailed) and withdrawal."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Guardianship
from enrollment import services
from enrollment.errors import (
    EnrollmentNotFoundError,
    InvalidChoiceError,
    MissingDataError,
    WindowClosedError,
)
from enrollment.models import Enrollment, EnrollmentEvent
from portal.errors import TransitionNotAllowedError
from portal.models import OutboxEmail

from .factories import (
    child_of,
    draft_ready,
)
from .helpers import S, emails, events, transport_submitted

# --- tariff preview -------------------------------------------------------------------------------------------------


def test_preview_uses_the_band(draft, parent):
    services.enrollment_draft_update(
        enrollment=draft,
        user=parent,
        step="isee",
        data={
            "isee_presented": True,
            "isee_amount": Decimal("7500"),
            "isee_protocol": "INPS-ISEE-2026-12345678A-00",
            "isee_expires_on": datetime.date(2027, 12, 31),
        },
    )
    draft.refresh_from_db()
    tariff = services.enrollment_tariff_preview(enrollment=draft)
    assert tariff.amount == Decimal("3.50")


def test_expired_isee_counts_as_none_unless_the_office_accepts_it(draft, parent, office):
    services.enrollment_draft_update(
        enrollment=draft,
        user=parent,
        step="isee",
        data={
            "isee_presented": True,
            "isee_amount": Decimal("100"),
            "isee_protocol": "INPS-ISEE-2025-12345678A-00",
            "isee_expires_on": datetime.date(2026, 1, 15),
        },
    )
    draft.refresh_from_db()
    tariff = services.enrollment_tariff_preview(enrollment=draft, today=datetime.date(2026, 3, 1))
    assert tariff.amount == Decimal("4.50")  # the top band
    assert [step["code"] for step in tariff.steps][:2] == ["isee_expired", "no_isee_top_band"]
    assert services.enrollment_tariff_preview(enrollment=draft, today=datetime.date(2026, 1, 15)).amount == Decimal(
        "2.50"
    )  # still valid on its last day
    services.enrollment_isee_expired_accept(enrollment=draft, actor=office)
    draft.refresh_from_db()
    assert services.enrollment_tariff_preview(enrollment=draft, today=datetime.date(2026, 3, 1)).amount == Decimal(
        "2.50"
    )


def test_non_resident_preview(draft, parent):
    services.enrollment_draft_update(enrollment=draft, user=parent, step="school", data={"resident": False})
    draft.refresh_from_db()
    assert services.enrollment_tariff_preview(enrollment=draft).amount == Decimal("6.00")


def test_preview_counts_a_sibling_already_enrolled(parent, giulia, draft, canteen, school_year, school):
    brother = child_of(parent, first_name="Marco")
    sibling_draft = draft_ready(user=parent, child=brother, service=canteen, school_year=school_year, school=school)
    assert services.enrollment_tariff_preview(enrollment=sibling_draft).amount == Decimal("4.50")
    services.enrollment_submit(enrollment=draft, user=parent, declarations=True)
    tariff = services.enrollment_tariff_preview(enrollment=sibling_draft)
    assert tariff.amount == Decimal("3.60")  # 4,50 - 20%
    assert tariff.steps[1]["code"] == "sibling"


# --- submission -------------------------------------------------------------------------------------------------


def test_submit_freezes_and_records(draft, parent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        enrollment = services.enrollment_submit(enrollment=draft, user=parent, declarations=True)
    assert callbacks  # the e-mail is dispatched only after commit
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUBMITTED
    assert re.fullmatch(r"ISC-2026-\d{6}", enrollment.protocol)
    assert enrollment.tariff_amount == Decimal("4.50")
    assert enrollment.tariff_steps[0]["code"] == "no_isee_top_band"
    assert enrollment.submitted_by == parent
    assert enrollment.submitted_at is not None
    assert enrollment.declarations_accepted_at == enrollment.submitted_at
    assert enrollment.sibling_rank == 1
    assert events(enrollment)[-1] == ("submitted", "draft", "submitted")
    (email,) = emails("enrollment_submitted")
    assert email.to == [parent.email]
    assert email.attachments == [{"builder": "enrollment.receipt_pdf", "kwargs": {"enrollment_id": enrollment.pk}}]
    assert enrollment.protocol in email.body_text
    assert "in allegato la ricevuta" in email.body_text.lower()
    assert "Iscrizione ricevuta" in email.subject


def test_submitted_email_never_carries_isee_or_medical_details(draft, parent):
    services.enrollment_draft_update(
        enrollment=draft,
        user=parent,
        step="isee",
        data={
            "isee_presented": True,
            "isee_amount": Decimal("12345.67"),
            "isee_protocol": "INPS-ISEE-2026-87654321B-00",
            "isee_expires_on": datetime.date(2027, 12, 31),
        },
    )
    services.enrollment_medical_diet_set(enrollment=draft, user=parent, details="Allergia alle arachidi")
    enrollment = services.enrollment_submit(enrollment=draft, user=parent, declarations=True)
    assert enrollment.diet_status == Enrollment.DietStatus.REQUESTED
    (email,) = emails("enrollment_submitted")
    for body in (email.subject, email.body_text, email.body_html):
        assert "arachidi" not in body
        assert "12345" not in body
        assert "12.345" not in body
        assert "87654321B" not in body
    assert "dieta speciale" in email.body_text


def test_ethical_diet_is_requested_too(draft, parent):
    services.enrollment_draft_update(
        enrollment=draft, user=parent, step="diet", data={"diet": "no_pork", "diet_note": "Religione"}
    )
    assert services.enrollment_submit(enrollment=draft, user=parent, declarations=True).diet_status == "requested"


def test_submitter_delegate_is_copied(parent, other_parent, giulia, open_windows, canteen, school_year, school):
    Guardianship.objects.create(adult=other_parent, child=giulia, role=Guardianship.Role.DELEGATE)
    draft = draft_ready(user=other_parent, child=giulia, service=canteen, school_year=school_year, school=school)
    services.enrollment_submit(enrollment=draft, user=other_parent, declarations=True)
    (email,) = emails("enrollment_submitted")
    assert email.to == [parent.email, other_parent.email]


def test_declarations_are_required(draft, parent):
    with pytest.raises(MissingDataError) as error:
        services.enrollment_submit(enrollment=draft, user=parent)
    assert error.value.step == "declarations"
    draft.refresh_from_db()
    assert draft.status == S.DRAFT


@pytest.mark.parametrize(
    ("change", "step", "field"),
    [
        ({"school": None}, "school", "school"),
        ({"resident": None}, "school", "resident"),
        ({"isee_presented": None}, "isee", "isee_presented"),
        ({"isee_presented": True}, "isee", "isee_amount"),
        ({"isee_presented": True, "isee_amount": Decimal(5)}, "isee", "isee_protocol"),
        ({"diet": "medical"}, "diet", "details"),
    ],
)
def test_missing_data_says_which_step(draft, parent, change, step, field):
    Enrollment.objects.filter(pk=draft.pk).update(**change)
    with pytest.raises(MissingDataError) as error:
        services.enrollment_submit(enrollment=draft, user=parent, declarations=True)
    assert (error.value.step, error.value.field) == (step, field)
    assert not OutboxEmail.objects.exists()


def test_transport_needs_route_stop_and_direction(
    parent, giulia, transport, transport_window, transport_plan, school_year, school, route
):
    draft = draft_ready(
        user=parent, child=giulia, service=transport, school_year=school_year, school=school, route=route
    )
    Enrollment.objects.filter(pk=draft.pk).update(direction="")
    with pytest.raises(MissingDataError) as error:
        services.enrollment_submit(enrollment=draft, user=parent, declarations=True)
    assert (error.value.step, error.value.field) == ("transport", "direction")


def test_tampered_data_is_checked_again_at_submission(draft, parent, other_class):
    Enrollment.objects.filter(pk=draft.pk).update(school_class=other_class)
    with pytest.raises(InvalidChoiceError):
        services.enrollment_submit(enrollment=draft, user=parent, declarations=True)


def test_submit_after_the_window_closed_is_refused_staff_may(draft, parent, office, canteen_window):
    after = canteen_window.closes_at + datetime.timedelta(minutes=1)
    with pytest.raises(WindowClosedError):
        services.enrollment_submit(enrollment=draft, user=parent, declarations=True, now=after)
    draft.refresh_from_db()
    assert draft.status == S.DRAFT
    assert not OutboxEmail.objects.exists()
    enrollment = services.enrollment_submit(enrollment=draft, user=office, declarations=True, staff=True, now=after)
    assert enrollment.status == S.SUBMITTED
    assert enrollment.submitted_by == office
    (email,) = emails("enrollment_submitted")
    assert email.to == [parent.email]  # staff are not copied


def test_replaying_an_old_form_after_the_close_fails(draft, parent, canteen_window):
    canteen_window.closes_at = timezone.now() - datetime.timedelta(seconds=1)
    canteen_window.opens_at = canteen_window.closes_at - datetime.timedelta(days=10)
    canteen_window.save()
    with pytest.raises(WindowClosedError):
        services.enrollment_submit(enrollment=draft, user=parent, declarations=True)


def test_submit_twice_is_idempotent(submitted, parent):
    again = services.enrollment_submit(enrollment=submitted, user=parent, declarations=True)
    assert again.protocol == submitted.protocol
    assert len(emails("enrollment_submitted")) == 1
    assert EnrollmentEvent.objects.filter(action="submitted").count() == 1


def test_another_family_cannot_submit(draft, other_parent):
    with pytest.raises(EnrollmentNotFoundError):
        services.enrollment_submit(enrollment=draft, user=other_parent, declarations=True)


def test_protocols_are_consecutive(parent, open_windows, canteen, school_year, school):
    protocols = []
    for name in ("Anna", "Bruno", "Carla"):
        child = child_of(parent, first_name=name)
        draft = draft_ready(user=parent, child=child, service=canteen, school_year=school_year, school=school)
        protocols.append(services.enrollment_submit(enrollment=draft, user=parent, declarations=True).protocol)
    numbers = [int(p.rsplit("-", 1)[1]) for p in protocols]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]


def test_siblings_get_their_rank_and_reduction(parent, open_windows, canteen, school_year, school):
    amounts = []
    for index, name in enumerate(("Anna", "Bruno", "Carla", "Dario")):
        child = child_of(parent, first_name=name)
        draft = draft_ready(user=parent, child=child, service=canteen, school_year=school_year, school=school)
        enrollment = services.enrollment_submit(enrollment=draft, user=parent, declarations=True)
        assert enrollment.sibling_rank == index + 1
        amounts.append(enrollment.tariff_amount)
    assert amounts == [Decimal("4.50"), Decimal("3.60"), Decimal("3.15"), Decimal("3.15")]


def test_full_route_sends_new_requests_to_the_waiting_list(
    parent, transport, transport_window, transport_plan, school_year, school, route
):
    statuses = []
    for index in range(5):
        child = child_of(parent, first_name=f"Figlio{index}")
        statuses.append(transport_submitted(parent, child, school_year, school, route, transport).status)
    assert statuses == [S.SUBMITTED] * 3 + [S.WAITLISTED] * 2
    waiting = emails("enrollment_submitted")[-1]
    assert "lista d'attesa, posizione 2" in waiting.body_text
    assert events(Enrollment.objects.filter(status=S.WAITLISTED).first())[-1] == ("submitted", "draft", "waitlisted")


# --- withdrawal ------------------------------------------------------------------------------------------------


def test_parent_withdraws(submitted, parent):
    enrollment = services.enrollment_withdraw(enrollment=submitted, user=parent)
    assert enrollment.status == S.WITHDRAWN
    assert events(enrollment)[-1] == ("withdrawn", "submitted", "withdrawn")
    assert len(emails("enrollment_withdrawn")) == 1
    services.enrollment_withdraw(enrollment=submitted, user=parent)  # idempotent
    assert len(emails("enrollment_withdrawn")) == 1


def test_a_draft_cannot_be_withdrawn(draft, parent):
    with pytest.raises(TransitionNotAllowedError):
        services.enrollment_withdraw(enrollment=draft, user=parent)


def test_another_family_cannot_withdraw(submitted, other_parent):
    with pytest.raises(EnrollmentNotFoundError):
        services.enrollment_withdraw(enrollment=submitted, user=other_parent)
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


def test_withdrawing_a_seat_offers_it_to_the_first_waiting(
    parent, other_parent, transport, transport_window, transport_plan, school_year, school, route
):
    holders = [
        transport_submitted(parent, child_of(parent, first_name=f"F{i}"), school_year, school, route, transport)
        for i in range(3)
    ]
    first_waiting = transport_submitted(
        other_parent, child_of(other_parent, first_name="W1"), school_year, school, route, transport
    )
    second_waiting = transport_submitted(
        other_parent, child_of(other_parent, first_name="W2"), school_year, school, route, transport
    )
    assert first_waiting.status == second_waiting.status == S.WAITLISTED
    services.enrollment_withdraw(enrollment=holders[1], user=parent)
    first_waiting.refresh_from_db()
    second_waiting.refresh_from_db()
    assert first_waiting.status == S.SUBMITTED
    assert second_waiting.status == S.WAITLISTED
    assert events(first_waiting)[-1] == ("seat_offered", "waitlisted", "submitted")
    (offer,) = emails("enrollment_seat_offered")
    assert offer.to == [other_parent.email]
    assert "Si è liberato un posto" in offer.subject


def test_withdrawing_a_waiting_one_offers_nothing(
    parent, transport, transport_window, transport_plan, school_year, school, route
):
    rows = [
        transport_submitted(parent, child_of(parent, first_name=f"F{i}"), school_year, school, route, transport)
        for i in range(5)
    ]
    services.enrollment_withdraw(enrollment=rows[3], user=parent)
    rows[4].refresh_from_db()
    assert rows[4].status == S.WAITLISTED
    assert not emails("enrollment_seat_offered")
