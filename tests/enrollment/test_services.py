"""Enrollment services: drafts, steps, medical diet, preview, submission, withdrawal, the office's transitions
(one by one and in bulk), events, e-mails and health data."""

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Guardianship
from enrollment import services
from enrollment.errors import (
    CapacityError,
    CertificateError,
    DuplicateEnrollmentError,
    EnrollmentNotFoundError,
    InvalidChoiceError,
    MissingDataError,
    WindowClosedError,
)
from enrollment.models import Enrollment, EnrollmentEvent, HealthDataAccess, MedicalDiet
from enrollment.wizard.forms import IseeForm
from portal.errors import ReasonRequiredError, TransitionNotAllowedError
from portal.models import OutboxEmail

from .factories import (
    EnrollmentWindowFactory,
    RouteFactory,
    StopFactory,
    child_of,
    draft_ready,
    enrollment_make,
)

S = Enrollment.Status
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def emails(kind: str) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(kind=kind).order_by("pk"))


def events(enrollment) -> list[tuple[str, str, str]]:
    return list(enrollment.events.order_by("pk").values_list("action", "from_status", "to_status"))


@pytest.fixture
def draft(parent, giulia, open_windows, canteen, school_year, school, school_class):
    return draft_ready(
        user=parent, child=giulia, service=canteen, school_year=school_year, school=school, school_class=school_class
    )


@pytest.fixture
def submitted(draft, parent):
    return services.enrollment_submit(enrollment=draft, user=parent, declarations=True)


def transport_submitted(user, child, school_year, school, route, transport):
    draft = draft_ready(user=user, child=child, service=transport, school_year=school_year, school=school, route=route)
    return services.enrollment_submit(enrollment=draft, user=user, declarations=True)


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


# --- medical diet --------------------------------------------------------------------------------------------------


def test_medical_diet_with_a_pdf_certificate(draft, parent, settings):
    certificate = SimpleUploadedFile("certificato Giulia.pdf", PDF, content_type="application/pdf")
    diet = services.enrollment_medical_diet_set(
        enrollment=draft, user=parent, details="Allergia alle arachidi", certificate=certificate
    )
    draft.refresh_from_db()
    assert draft.diet == Enrollment.Diet.MEDICAL
    assert diet.details == "Allergia alle arachidi"
    assert diet.certificate_name == "certificato Giulia.pdf"
    assert re.fullmatch(r"health/\d{4}/[0-9a-f]{32}\.pdf", diet.certificate.name)
    assert diet.certificate.read() == PDF


def test_medical_diet_with_a_jpeg_certificate(draft, parent):
    certificate = SimpleUploadedFile("foto.png", JPEG, content_type="image/png")  # the bytes decide, not the name
    diet = services.enrollment_medical_diet_set(
        enrollment=draft, user=parent, details="Celiachia", certificate=certificate
    )
    assert diet.certificate.name.endswith(".jpg")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (PNG, "PDF o una foto JPEG"),
        (b"MZ\x90\x00 not a pdf", "PDF o una foto JPEG"),
        (b"", "PDF o una foto JPEG"),
        (PDF + b"\x00" * (5 * 1024 * 1024 + 1 - len(PDF)), "troppo grande"),
    ],
    ids=["png", "exe", "empty", "5mb-plus-1"],
)
def test_certificate_not_pdf_or_jpeg_or_too_large_is_refused(draft, parent, content, message):
    certificate = SimpleUploadedFile("certificato.pdf", content, content_type="application/pdf")
    with pytest.raises(CertificateError, match=message) as error:
        services.enrollment_medical_diet_set(
            enrollment=draft, user=parent, details="Celiachia", certificate=certificate
        )
    assert error.value.field == "certificate"
    assert not MedicalDiet.objects.exists()
    draft.refresh_from_db()
    assert draft.diet == Enrollment.Diet.NONE


def test_certificate_of_exactly_5_mb_is_accepted(draft, parent):
    content = PDF + b"\x00" * (5 * 1024 * 1024 - len(PDF))
    certificate = SimpleUploadedFile("certificato.pdf", content, content_type="application/pdf")
    assert services.enrollment_medical_diet_set(enrollment=draft, user=parent, details="x", certificate=certificate)


def test_medical_details_are_required(draft, parent):
    with pytest.raises(InvalidChoiceError) as error:
        services.enrollment_medical_diet_set(enrollment=draft, user=parent, details="  ")
    assert error.value.field == "details"


def test_leaving_the_medical_diet_deletes_the_details(draft, parent):
    services.enrollment_medical_diet_set(enrollment=draft, user=parent, details="Celiachia")
    services.enrollment_draft_update(enrollment=draft, user=parent, step="diet", data={"diet": "vegetarian"})
    assert not MedicalDiet.objects.exists()


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


# --- office, one by one ------------------------------------------------------------------------------------------


def test_accept(submitted, office, parent):
    enrollment = services.enrollment_accept(enrollment=submitted, actor=office)
    assert enrollment.status == S.ACCEPTED
    assert enrollment.decided_at is not None
    event = enrollment.events.order_by("pk").last()
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        "accepted",
        office,
        "submitted",
        "accepted",
    )
    (email,) = emails("enrollment_accepted")
    assert email.to == [parent.email]
    assert "accolta" in email.subject
    services.enrollment_accept(enrollment=submitted, actor=office)  # idempotent: no second event or e-mail
    assert enrollment.events.filter(action="accepted").count() == 1
    assert len(emails("enrollment_accepted")) == 1


@pytest.mark.parametrize(
    ("status", "call"),
    [
        (S.DRAFT, "accept"),
        (S.REJECTED, "accept"),
        (S.WITHDRAWN, "accept"),
        (S.ACCEPTED, "reject"),
        (S.DRAFT, "reject"),
        (S.ACCEPTED, "waitlist"),
        (S.WAITLISTED, "waitlist_again"),
        (S.ACCEPTED, "unwaitlist"),
        (S.REJECTED, "withdraw"),
    ],
)
def test_forbidden_transitions(parent, giulia, canteen, school_year, office, status, call):
    enrollment = enrollment_make(
        child=giulia, service=canteen, school_year=school_year, created_by=parent, status=status
    )
    calls = {
        "accept": lambda: services.enrollment_accept(enrollment=enrollment, actor=office),
        "reject": lambda: services.enrollment_reject(enrollment=enrollment, actor=office, reason="No"),
        "waitlist": lambda: services.enrollment_waitlist(enrollment=enrollment, actor=office),
        "waitlist_again": lambda: services.enrollment_waitlist(enrollment=enrollment, actor=office),
        "unwaitlist": lambda: services.enrollment_unwaitlist(enrollment=enrollment, actor=office),
        "withdraw": lambda: services.enrollment_withdraw(enrollment=enrollment, user=parent),
    }
    if call == "waitlist_again":  # already there: idempotent, not an error
        assert calls[call]().status == S.WAITLISTED
        return
    with pytest.raises(TransitionNotAllowedError):
        calls[call]()
    enrollment.refresh_from_db()
    assert enrollment.status == status
    assert not enrollment.events.exists()
    assert not OutboxEmail.objects.exists()


def test_reject_needs_a_reason_and_tells_it(submitted, office):
    with pytest.raises(ReasonRequiredError):
        services.enrollment_reject(enrollment=submitted, actor=office, reason="  ")
    enrollment = services.enrollment_reject(enrollment=submitted, actor=office, reason="Residenza non confermata.")
    assert enrollment.status == S.REJECTED
    assert enrollment.rejection_reason == "Residenza non confermata."
    (email,) = emails("enrollment_rejected")
    assert "Residenza non confermata." in email.body_text
    assert enrollment.events.last().note == "Residenza non confermata."


def test_rejecting_a_seat_holder_offers_the_seat(
    parent, office, transport, transport_window, transport_plan, school_year, school, route
):
    rows = [
        transport_submitted(parent, child_of(parent, first_name=f"F{i}"), school_year, school, route, transport)
        for i in range(4)
    ]
    services.enrollment_reject(enrollment=rows[0], actor=office, reason="Doppia domanda.")
    rows[3].refresh_from_db()
    assert rows[3].status == S.SUBMITTED
    assert events(rows[3])[-1][0] == "seat_offered"


def test_waitlist_and_back(submitted, office):
    enrollment = services.enrollment_waitlist(enrollment=submitted, actor=office)
    assert enrollment.status == S.WAITLISTED
    (email,) = emails("enrollment_waitlisted")
    assert "posizione 1" in email.body_text
    enrollment = services.enrollment_unwaitlist(enrollment=submitted, actor=office)
    assert enrollment.status == S.SUBMITTED


def test_waiting_transport_needs_a_free_seat(
    parent, office, transport, transport_window, transport_plan, school_year, school, route
):
    rows = [
        transport_submitted(parent, child_of(parent, first_name=f"F{i}"), school_year, school, route, transport)
        for i in range(4)
    ]
    with pytest.raises(CapacityError):
        services.enrollment_accept(enrollment=rows[3], actor=office)
    with pytest.raises(CapacityError):
        services.enrollment_unwaitlist(enrollment=rows[3], actor=office)
    route.capacity = 4
    route.save()
    assert services.enrollment_accept(enrollment=rows[3], actor=office).status == S.ACCEPTED
    assert services.enrollment_accept(enrollment=rows[0], actor=office).status == S.ACCEPTED  # holds its seat


def test_capacity_raise_fills_the_waiting_list(
    parent, office, transport, transport_window, transport_plan, school_year, school, route
):
    rows = [
        transport_submitted(parent, child_of(parent, first_name=f"F{i}"), school_year, school, route, transport)
        for i in range(6)
    ]
    route.capacity = 5
    route.save()
    assert services.route_waitlist_fill(route=route, actor=office) == 2
    assert [Enrollment.objects.get(pk=row.pk).status for row in rows] == [S.SUBMITTED] * 5 + [S.WAITLISTED]


def test_office_ranking_orders_the_waiting_list(
    parent, office, transport, transport_window, transport_plan, school_year, school, route
):
    rows = [
        transport_submitted(parent, child_of(parent, first_name=f"F{i}"), school_year, school, route, transport)
        for i in range(6)
    ]
    with pytest.raises(InvalidChoiceError):
        services.enrollment_waitlist_rank_set(enrollment=rows[5], actor=office, rank=0)
    services.enrollment_waitlist_rank_set(enrollment=rows[5], actor=office, rank=1)
    assert rows[5].events.last().action == "waitlist_rank_set"
    services.enrollment_withdraw(enrollment=rows[0], user=parent)
    assert Enrollment.objects.get(pk=rows[5].pk).status == S.SUBMITTED
    assert Enrollment.objects.get(pk=rows[3].pk).status == S.WAITLISTED


def test_diet_decisions(draft, parent, office):
    services.enrollment_medical_diet_set(enrollment=draft, user=parent, details="Celiachia")
    submitted = services.enrollment_submit(enrollment=draft, user=parent, declarations=True)
    enrollment = services.enrollment_diet_decide(enrollment=submitted, actor=office, accepted=True, note="Ok ASL")
    assert enrollment.diet_status == Enrollment.DietStatus.ACCEPTED
    assert enrollment.events.last().action == "diet_accepted"
    (email,) = emails("enrollment_diet_accepted")
    assert "Celiachia" not in email.body_text
    services.enrollment_diet_decide(enrollment=submitted, actor=office, accepted=False, note="Certificato scaduto")
    (email,) = emails("enrollment_diet_rejected")
    assert "Certificato scaduto" not in email.body_text


def test_diet_decision_without_a_request(submitted, office):
    with pytest.raises(TransitionNotAllowedError):
        services.enrollment_diet_decide(enrollment=submitted, actor=office, accepted=True)


def test_exemption_recomputes_the_frozen_tariff(submitted, office):
    with pytest.raises(ReasonRequiredError):
        services.enrollment_exemption_set(enrollment=submitted, actor=office, percent=100, reason="")
    with pytest.raises(InvalidChoiceError):
        services.enrollment_exemption_set(enrollment=submitted, actor=office, percent=120, reason="x")
    enrollment = services.enrollment_exemption_set(
        enrollment=submitted, actor=office, percent=50, reason="Segnalazione dei servizi sociali"
    )
    assert enrollment.tariff_amount == Decimal("2.25")
    assert enrollment.tariff_steps[-2] == {"code": "exemption", "percent": 50, "amount": "2.25"}
    assert enrollment.events.last().note == "Esenzione 50%: Segnalazione dei servizi sociali"
    enrollment = services.enrollment_exemption_set(enrollment=submitted, actor=office, percent=100, reason="Totale")
    assert enrollment.tariff_amount == Decimal("0.00")


def test_expired_isee_accepted_recomputes(parent, giulia, office, open_windows, canteen, school_year, school):
    draft = draft_ready(
        user=parent,
        child=giulia,
        service=canteen,
        school_year=school_year,
        school=school,
        isee=Decimal("100"),
        isee_expires_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    enrollment = services.enrollment_submit(enrollment=draft, user=parent, declarations=True)
    assert enrollment.tariff_amount == Decimal("4.50")
    enrollment = services.enrollment_isee_expired_accept(enrollment=enrollment, actor=office)
    assert enrollment.tariff_amount == Decimal("2.50")
    assert enrollment.tariff_steps[0]["code"] == "isee_expired_accepted"
    assert enrollment.events.last().action == "isee_expired_accepted"


# --- office, in bulk -----------------------------------------------------------------------------------------------


def _bulk_rows(parent, canteen, school_year, count, status=S.SUBMITTED):
    return [
        enrollment_make(
            child=child_of(parent), service=canteen, school_year=school_year, created_by=parent, status=status
        )
        for _ in range(count)
    ]


def test_bulk_accept_50(parent, office, canteen, school_year, django_assert_max_num_queries):
    rows = _bulk_rows(parent, canteen, school_year, 50)
    refused = _bulk_rows(parent, canteen, school_year, 3, status=S.REJECTED)
    ids = [row.pk for row in rows + refused]
    with django_assert_max_num_queries(13):  # 12 + one for the transport fees to issue
        changed = services.enrollments_accept_bulk(enrollment_ids=ids, actor=office)
    assert changed == 50
    assert len(ids) - changed == 3
    assert Enrollment.objects.filter(pk__in=[r.pk for r in rows], status=S.ACCEPTED).count() == 50
    assert EnrollmentEvent.objects.filter(action="accepted", actor=office).count() == 50
    assert len(emails("enrollment_accepted")) == 50
    assert not EnrollmentEvent.objects.filter(enrollment__in=refused).exists()


def test_bulk_queries_do_not_grow_with_the_items(parent, office, canteen, school_year, django_assert_num_queries):
    few = [row.pk for row in _bulk_rows(parent, canteen, school_year, 5)]
    many = [row.pk for row in _bulk_rows(parent, canteen, school_year, 40)]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        services.enrollments_accept_bulk(enrollment_ids=few, actor=office)
    with CaptureQueriesContext(connection) as large:
        services.enrollments_accept_bulk(enrollment_ids=many, actor=office)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_bulk_accept_of_waiting_transport_stops_at_capacity(
    parent, office, transport, transport_window, transport_plan, school_year, school, route
):
    rows = [
        transport_submitted(parent, child_of(parent, first_name=f"F{i}"), school_year, school, route, transport)
        for i in range(5)
    ]
    route.capacity = 4
    route.save()
    changed = services.enrollments_accept_bulk(enrollment_ids=[row.pk for row in rows], actor=office)
    assert changed == 4  # 3 holders + the first waiting; the last has no seat
    assert Enrollment.objects.get(pk=rows[4].pk).status == S.WAITLISTED


def test_bulk_reject_and_waitlist(parent, office, canteen, school_year):
    rows = _bulk_rows(parent, canteen, school_year, 6)
    with pytest.raises(ReasonRequiredError):
        services.enrollments_reject_bulk(enrollment_ids=[rows[0].pk], actor=office, reason="")
    assert services.enrollments_reject_bulk(enrollment_ids=[r.pk for r in rows[:3]], actor=office, reason="Fuori") == 3
    assert services.enrollments_waitlist_bulk(enrollment_ids=[r.pk for r in rows], actor=office) == 3
    assert Enrollment.objects.filter(status=S.REJECTED, rejection_reason="Fuori").count() == 3
    positions = sorted(
        int(m) for e in emails("enrollment_waitlisted") for m in re.findall(r"posizione (\d+)", e.body_text)
    )
    assert positions == [1, 2, 3]


def test_bulk_reject_offers_freed_seats(
    parent, office, transport, transport_window, transport_plan, school_year, school, route
):
    rows = [
        transport_submitted(parent, child_of(parent, first_name=f"F{i}"), school_year, school, route, transport)
        for i in range(6)
    ]
    assert services.enrollments_reject_bulk(enrollment_ids=[r.pk for r in rows[:2]], actor=office, reason="No") == 2
    assert [Enrollment.objects.get(pk=r.pk).status for r in rows[2:]] == [
        S.SUBMITTED,
        S.SUBMITTED,
        S.SUBMITTED,
        S.WAITLISTED,
    ]
    assert len(emails("enrollment_seat_offered")) == 2


# --- health data -------------------------------------------------------------------------------------------------


@pytest.fixture
def medical(draft, parent):
    certificate = SimpleUploadedFile("cert.pdf", PDF, content_type="application/pdf")
    services.enrollment_medical_diet_set(enrollment=draft, user=parent, details="Celiachia", certificate=certificate)
    return draft


def test_health_data_needs_the_permission(medical, office, parent):
    for user in (office, parent):
        with pytest.raises(PermissionDenied):
            services.medical_diet_get_for_staff(user=user, enrollment_id=medical.pk)
        with pytest.raises(PermissionDenied):
            services.medical_certificate_open_for_staff(user=user, enrollment_id=medical.pk)
    assert not HealthDataAccess.objects.exists()


def test_health_data_access_is_logged(medical, health_officer):
    diet = services.medical_diet_get_for_staff(user=health_officer, enrollment_id=medical.pk)
    assert diet.details == "Celiachia"
    name, content_type, content = services.medical_certificate_open_for_staff(
        user=health_officer, enrollment_id=medical.pk
    )
    assert (content_type, content[:5]) == ("application/pdf", b"%PDF-")
    assert name.endswith(".pdf")
    log = list(HealthDataAccess.objects.order_by("pk").values_list("user", "enrollment", "action"))
    assert log == [(health_officer.pk, medical.pk, "view"), (health_officer.pk, medical.pk, "download")]


def test_health_data_of_an_enrollment_without_diet_is_not_found(draft, health_officer):
    with pytest.raises(EnrollmentNotFoundError):
        services.medical_diet_get_for_staff(user=health_officer, enrollment_id=draft.pk)


def test_health_data_access_record(health_officer, medical):
    services.health_data_access_record(user=health_officer, enrollment=None, action="export", detail="Mensa Rodari")
    assert HealthDataAccess.objects.get().detail == "Mensa Rodari"
    with pytest.raises(ValueError, match="unknown"):
        services.health_data_access_record(user=health_officer, enrollment=medical, action="peek")


def test_inactive_staff_user_is_refused(medical, health_officer):
    health_officer.is_active = False
    health_officer.save()
    with pytest.raises(PermissionDenied):
        services.medical_diet_get_for_staff(user=health_officer, enrollment_id=medical.pk)
