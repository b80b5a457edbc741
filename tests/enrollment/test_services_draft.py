"""Enrollment services: the draft and its steps (typed values, checked again)."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Guardianship
from enrollment import services
from enrollment.errors import (
    DuplicateEnrollmentError,
    EnrollmentNotFoundError,
    InvalidChoiceError,
    WindowClosedError,
)
from enrollment.models import Enrollment, MedicalDiet
from enrollment.wizard.forms import IseeForm
from portal.errors import TransitionNotAllowedError

from .factories import (
    EnrollmentWindowFactory,
    RouteFactory,
    StopFactory,
    draft_ready,
    enrollment_make,
)
from .helpers import S, events

# --- draft -----------------------------------------------------------------------------------------------------


def test_draft_start_creates_then_resumes(parent, giulia, open_windows, canteen, school_year):
    first = services.enrollment_draft_start(
        user=parent, child_id=giulia.pk, service_id=canteen.pk, school_year_id=school_year.pk
    )
    again = services.enrollment_draft_start(
        user=parent, child_id=giulia.pk, service_id=canteen.pk, school_year_id=school_year.pk
    )
    assert first.pk == again.pk
    assert first.status == S.DRAFT
    assert first.created_by == parent
    assert events(first) == [("draft_started", "", "draft")]


def test_draft_start_for_another_familys_child_is_not_found(other_parent, giulia, open_windows, canteen, school_year):
    with pytest.raises(EnrollmentNotFoundError):
        services.enrollment_draft_start(
            user=other_parent, child_id=giulia.pk, service_id=canteen.pk, school_year_id=school_year.pk
        )
    assert not Enrollment.objects.exists()


def test_delegate_may_start_a_draft(parent, other_parent, giulia, open_windows, canteen, school_year):
    Guardianship.objects.create(adult=other_parent, child=giulia, role=Guardianship.Role.DELEGATE)
    draft = services.enrollment_draft_start(
        user=other_parent, child_id=giulia.pk, service_id=canteen.pk, school_year_id=school_year.pk
    )
    assert draft.created_by == other_parent


def test_window_not_yet_open_says_when(parent, giulia, canteen, canteen_plan, school_year):
    opens = datetime.datetime(2027, 1, 10, 9, 0, tzinfo=ZoneInfo("Europe/Rome"))
    EnrollmentWindowFactory(
        service=canteen, school_year=school_year, opens_at=opens, closes_at=opens + datetime.timedelta(days=20)
    )
    with pytest.raises(WindowClosedError) as error:
        services.enrollment_draft_start(
            user=parent, child_id=giulia.pk, service_id=canteen.pk, school_year_id=school_year.pk
        )
    assert "apriranno il 10/01/2027 alle 09:00" in str(error.value)
    assert error.value.opens_at == opens


def test_window_closed_is_refused_and_staff_may_still_start(parent, office, giulia, canteen, school_year):
    closes = timezone.now() - datetime.timedelta(days=1)
    EnrollmentWindowFactory(
        service=canteen, school_year=school_year, opens_at=closes - datetime.timedelta(days=30), closes_at=closes
    )
    with pytest.raises(WindowClosedError) as error:
        services.enrollment_draft_start(
            user=parent, child_id=giulia.pk, service_id=canteen.pk, school_year_id=school_year.pk
        )
    assert "chiuse dal" in str(error.value)
    draft = services.enrollment_draft_start(
        user=office, child_id=giulia.pk, service_id=canteen.pk, school_year_id=school_year.pk, staff=True
    )
    assert draft.status == S.DRAFT


def test_no_window_at_all(parent, giulia, canteen, school_year):
    with pytest.raises(WindowClosedError, match="non sono aperte"):
        services.enrollment_draft_start(
            user=parent, child_id=giulia.pk, service_id=canteen.pk, school_year_id=school_year.pk
        )


def test_second_enrollment_same_child_service_year_is_refused(submitted, parent, giulia, canteen, school_year):
    with pytest.raises(DuplicateEnrollmentError):
        services.enrollment_draft_start(
            user=parent, child_id=giulia.pk, service_id=canteen.pk, school_year_id=school_year.pk
        )


def test_after_withdrawal_a_new_enrollment_may_start(submitted, parent, giulia, canteen, school_year):
    services.enrollment_withdraw(enrollment=submitted, user=parent)
    draft = services.enrollment_draft_start(
        user=parent, child_id=giulia.pk, service_id=canteen.pk, school_year_id=school_year.pk
    )
    assert draft.pk != submitted.pk


def test_prefill_from_last_years_enrollment(
    parent,
    giulia,
    previous_year,
    school_year,
    transport,
    transport_window,
    transport_plan,
    school,
    school_class,
    route,
):
    old_route = RouteFactory(school_year=previous_year, name="Linea 1", capacity=30)
    old_stop = StopFactory(route=old_route, order=1, name="Via Verdi")
    enrollment_make(
        child=giulia,
        service=transport,
        school_year=previous_year,
        created_by=parent,
        status=S.ACCEPTED,
        school=school,
        school_class=school_class,
        resident=False,
        route=old_route,
        stop=old_stop,
        direction=Enrollment.Direction.OUTBOUND,
        pickup_adults="Nonna Lucia, CI AB123",
        isee_presented=True,
        isee_amount=Decimal("8000"),
    )
    draft = services.enrollment_draft_start(
        user=parent, child_id=giulia.pk, service_id=transport.pk, school_year_id=school_year.pk
    )
    assert draft.school == school
    assert draft.school_class == school_class
    assert draft.resident is False
    assert draft.route == route  # the route of this year with the same name
    assert draft.stop == route.stops.get(name="Via Verdi")
    assert draft.direction == Enrollment.Direction.OUTBOUND
    assert draft.pickup_adults == "Nonna Lucia, CI AB123"
    assert draft.isee_presented is None  # a new ISEE every year
    assert draft.isee_amount is None


def test_prefill_keeps_the_diet_but_never_the_medical_details(
    parent, giulia, previous_year, school_year, canteen, open_windows, school
):
    old = enrollment_make(
        child=giulia,
        service=canteen,
        school_year=previous_year,
        created_by=parent,
        status=S.ACCEPTED,
        school=school,
        diet=Enrollment.Diet.MEDICAL,
    )
    MedicalDiet.objects.create(enrollment=old, details="Allergia alle arachidi")
    draft = services.enrollment_draft_start(
        user=parent, child_id=giulia.pk, service_id=canteen.pk, school_year_id=school_year.pk
    )
    assert draft.diet == Enrollment.Diet.MEDICAL
    assert not MedicalDiet.objects.filter(enrollment=draft).exists()


def test_prefill_from_the_childs_known_school(
    parent, giulia, open_windows, canteen, school_year, school, school_class
):
    giulia.school = school
    giulia.class_name = "3a"
    giulia.save()
    draft = services.enrollment_draft_start(
        user=parent, child_id=giulia.pk, service_id=canteen.pk, school_year_id=school_year.pk
    )
    assert (draft.school, draft.school_class) == (school, school_class)


# --- steps -------------------------------------------------------------------------------------------------------


def test_update_saves_a_step(draft, parent, other_school, other_class):
    updated = services.enrollment_draft_update(
        enrollment=draft, user=parent, step="school", data={"school": other_school, "school_class": other_class}
    )
    draft.refresh_from_db()
    assert (draft.school, draft.school_class, draft.step) == (other_school, other_class, "school")
    assert updated.school == other_school


def test_changing_school_drops_the_class_of_the_old_school(draft, parent, other_school):
    services.enrollment_draft_update(enrollment=draft, user=parent, step="school", data={"school": other_school})
    draft.refresh_from_db()
    assert draft.school_class is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"school_class": "__other_class__"}, "school_class"),  # a class of another school
        ({"school": "__nursery_school__"}, "school"),  # a school the canteen does not serve
        ({"school": 999999}, "school"),
        ({"school": "abc"}, "school"),
        ({"route": "__route__"}, "route"),  # transport fields on the canteen
        ({"is_staff": True}, "is_staff"),  # unknown fields
        ({"status": "accepted"}, "status"),
        ({"isee_amount": "-5"}, "isee_amount"),
        ({"isee_amount": "1000000,01"}, "isee_amount"),
        ({"isee_amount": "12,345.67"}, "isee_amount"),
        ({"isee_amount": Decimal("-5")}, "isee_amount"),  # typed, but out of range
        ({"isee_amount": Decimal("1000000.01")}, "isee_amount"),
        ({"isee_amount": Decimal("1.234")}, "isee_amount"),
        ({"school": "__school_pk__"}, "school"),  # a pk where an instance is expected
        ({"resident": "sì"}, "resident"),  # text is not parsed: the form hands a bool
        ({"isee_expires_on": "31/12/2027"}, "isee_expires_on"),
        ({"isee_protocol": "12345"}, "isee_protocol"),
        ({"resident": "maybe"}, "resident"),
        ({"diet": "cannibal"}, "diet"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(draft, parent, other_class, nursery, route, data, field):
    replace = {
        "__other_class__": other_class,
        "__nursery_school__": nursery.schools.get(),
        "__route__": route,
        "__school_pk__": nursery.schools.get().pk,
    }
    data = {key: replace.get(value, value) if isinstance(value, str) else value for key, value in data.items()}
    before = Enrollment.objects.filter(pk=draft.pk).values().get()
    with pytest.raises(InvalidChoiceError) as error:
        services.enrollment_draft_update(enrollment=draft, user=parent, step="x", data={"resident": False, **data})
    assert error.value.field == field
    assert str(error.value)
    assert Enrollment.objects.filter(pk=draft.pk).values().get() == before


def test_isee_amounts_the_italian_way(draft, parent):
    """The ISEE form reads the amount the Italian way and hands the service a Decimal."""
    for typed, expected in [
        ("12.345,67", "12345.67"),
        ("12345.67", "12345.67"),
        ("0", "0.00"),
        ("1000000", "1000000"),
    ]:
        data = {
            "presented": "si",
            "amount": typed,
            "protocol": "INPS-ISEE-2026-12345678A-00",
            "expires_on": "31/12/2027",
        }
        form = IseeForm(data, enrollment=draft)
        assert form.is_valid(), form.errors
        assert isinstance(form.data_for_update()["isee_amount"], Decimal)
        services.enrollment_draft_update(enrollment=draft, user=parent, step="isee", data=form.data_for_update())
        draft.refresh_from_db()
        assert draft.isee_amount == Decimal(expected)


def test_dsu_protocol_is_normalised(draft, parent):
    services.enrollment_draft_update(
        enrollment=draft,
        user=parent,
        step="isee",
        data={"isee_presented": True, "isee_protocol": " inps-isee-2026-12345678a-00 "},
    )
    draft.refresh_from_db()
    assert draft.isee_protocol == "INPS-ISEE-2026-12345678A-00"


def test_no_isee_clears_the_isee_fields(draft, parent):
    services.enrollment_draft_update(
        enrollment=draft,
        user=parent,
        step="isee",
        data={"isee_presented": True, "isee_amount": Decimal("5000"), "isee_protocol": "INPS-ISEE-2026-12345678A-00"},
    )
    services.enrollment_draft_update(enrollment=draft, user=parent, step="isee", data={"isee_presented": False})
    draft.refresh_from_db()
    assert (draft.isee_amount, draft.isee_protocol, draft.isee_expires_on) == (None, "", None)


def test_stop_must_be_on_the_route(
    parent, giulia, transport, transport_window, transport_plan, school_year, school, route, other_route
):
    draft = draft_ready(
        user=parent, child=giulia, service=transport, school_year=school_year, school=school, route=route
    )
    with pytest.raises(InvalidChoiceError) as error:
        services.enrollment_draft_update(
            enrollment=draft, user=parent, step="transport", data={"stop": other_route.stops.get()}
        )
    assert error.value.field == "stop"
    assert "non è su questa linea" in str(error.value)
    # choosing another route drops the stop of the old one; the stop alone sets its route
    services.enrollment_draft_update(enrollment=draft, user=parent, step="transport", data={"route": other_route})
    draft.refresh_from_db()
    assert (draft.route, draft.stop) == (other_route, None)


def test_route_of_another_year_is_refused(
    parent, giulia, transport, transport_window, transport_plan, school_year, previous_year, school, route
):
    draft = draft_ready(
        user=parent, child=giulia, service=transport, school_year=school_year, school=school, route=route
    )
    old_route = RouteFactory(school_year=previous_year, name="Vecchia")
    with pytest.raises(InvalidChoiceError, match="anno scolastico"):
        services.enrollment_draft_update(enrollment=draft, user=parent, step="transport", data={"route": old_route})


def test_only_drafts_can_be_edited(submitted, parent):
    with pytest.raises(TransitionNotAllowedError):
        services.enrollment_draft_update(enrollment=submitted, user=parent, step="school", data={"resident": False})


def test_another_family_cannot_edit(draft, other_parent):
    with pytest.raises(EnrollmentNotFoundError):
        services.enrollment_draft_update(enrollment=draft, user=other_parent, step="school", data={"resident": False})


def test_discard_a_draft(draft, parent):
    services.enrollment_medical_diet_set(enrollment=draft, user=parent, details="Celiachia")
    services.enrollment_draft_discard(enrollment=draft, user=parent)
    assert not Enrollment.objects.filter(pk=draft.pk).exists()
    assert not MedicalDiet.objects.exists()
