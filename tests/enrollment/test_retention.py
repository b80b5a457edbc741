"""Retention of health data and ISEE values (issue 11, finding 4): purged once the office's period after the end of
the enrollment's school year has passed; dry runs change nothing; files go after commit; a trace stays."""

import datetime
import html
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from accounts.models import Guardianship
from enrollment import services
from enrollment.models import Enrollment, MedicalDiet
from enrollment.tariffs import tariff_explain
from portal.errors import TransitionNotAllowedError
from portal.models import RetentionPolicy

from .factories import ChildFactory, SchoolYearFactory, enrollment_make
from .helpers import DSU, PDF, ROME, signed_in

pytestmark = pytest.mark.django_db

# Today for these tests: 3 December 2026. The old year ended on 10/06/2023, the recent one on 10/06/2026.
NOW = datetime.datetime(2026, 12, 3, 3, 0, tzinfo=ROME)
BAND_STEPS = [
    {"code": "band", "isee_from": "7500.00", "isee_to": "15000.00", "amount": "3.50"},
    {"code": "total", "amount": "3.50"},
]


@pytest.fixture
def old_year(db):
    return SchoolYearFactory(start=2022)


@pytest.fixture
def recent_year(db):
    return SchoolYearFactory(start=2025)


def make(year, canteen, school, cf, *, medical=True, isee=True) -> Enrollment:
    fields = {}
    if isee:
        fields.update(isee_presented=True, isee_amount=Decimal("9876.54"), isee_protocol=DSU)
    enrollment = enrollment_make(
        status=Enrollment.Status.ACCEPTED,
        child=ChildFactory(codice_fiscale=cf),
        service=canteen,
        school_year=year,
        school=school,
        diet=Enrollment.Diet.MEDICAL if medical else Enrollment.Diet.NONE,
        diet_status=Enrollment.DietStatus.ACCEPTED if medical else Enrollment.DietStatus.NONE,
        tariff_amount=Decimal("3.50"),
        tariff_steps=BAND_STEPS,
        **fields,
    )
    if medical:
        diet = MedicalDiet(enrollment=enrollment, details="Celiachia", certificate_name="certificato.pdf")
        diet.certificate.save("certificato.pdf", ContentFile(PDF), save=False)
        diet.save()
    return enrollment


@pytest.fixture
def old(old_year, canteen, school):
    return make(old_year, canteen, school, "MDCMRT18A41H501Q")


@pytest.fixture
def recent(recent_year, canteen, school):
    return make(recent_year, canteen, school, "RSSGLI18C52H501V")


def certificate_path(enrollment) -> Path:
    return Path(default_storage.path(MedicalDiet.objects.get(enrollment=enrollment).certificate.name))


# --- health data ---------------------------------------------------------------------------------------------


def test_medical_diet_dry_run_counts_and_changes_nothing(old, recent, django_capture_on_commit_callbacks):
    path = certificate_path(old)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert services.medical_diet_purge(now=NOW, dry_run=True) == 1
    assert callbacks == []
    assert MedicalDiet.objects.count() == 2
    assert path.exists()
    old.refresh_from_db()
    assert old.health_data_purged_at is None
    assert not old.events.filter(action="diet_medical_purged").exists()


def test_medical_diet_purge_deletes_only_past_due_details_and_the_file_after_commit(
    old, recent, django_capture_on_commit_callbacks
):
    old_path, recent_path = certificate_path(old), certificate_path(recent)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.medical_diet_purge(now=NOW, dry_run=False) == 1
        assert old_path.exists()  # not before commit: a rollback would leave a row without its file
    assert not MedicalDiet.objects.filter(enrollment=old).exists()
    assert old_path.exists()
    for callback in callbacks:
        callback()
    assert not old_path.exists()

    old.refresh_from_db()
    assert old.health_data_purged_at == NOW
    assert old.diet == Enrollment.Diet.MEDICAL  # the kind of diet and its decision stay
    assert old.diet_status == Enrollment.DietStatus.ACCEPTED
    event = old.events.get(action="diet_medical_purged")
    assert "12 mesi" in event.note
    # Within the period: untouched.
    assert MedicalDiet.objects.get(enrollment=recent).details == "Celiachia"
    assert recent_path.exists()
    recent.refresh_from_db()
    assert recent.health_data_purged_at is None
    # A second run finds nothing.
    assert services.medical_diet_purge(now=NOW, dry_run=False) == 0


def test_the_office_period_decides(old, recent):
    RetentionPolicy.objects.create(pk=1, health_data_months=6)  # recent ended 10/06/2026: cut-off 03/06/2026
    assert services.medical_diet_purge(now=NOW, dry_run=True) == 1
    RetentionPolicy.objects.filter(pk=1).update(health_data_months=5)  # cut-off 03/07/2026
    assert services.medical_diet_purge(now=NOW, dry_run=False) == 2
    assert not MedicalDiet.objects.exists()


# --- ISEE ------------------------------------------------------------------------------------------------------


def test_isee_dry_run_changes_nothing(old, recent):
    assert services.enrollment_isee_purge(now=NOW, dry_run=True) == 1
    old.refresh_from_db()
    assert (old.isee_amount, old.isee_protocol, old.isee_purged_at) == (Decimal("9876.54"), DSU, None)


def test_isee_purge_drops_value_and_protocol_keeps_band_tariff_and_explanation(old, recent):
    assert services.enrollment_isee_purge(now=NOW, dry_run=False) == 1

    old.refresh_from_db()
    assert old.isee_amount is None
    assert old.isee_protocol == ""
    assert old.isee_purged_at == NOW
    assert old.isee_presented is True
    assert old.tariff_amount == Decimal("3.50")
    assert old.tariff_steps == BAND_STEPS
    assert "Fascia ISEE da 7.500,00 € a 15.000,00 € (escluso): 3,50 € a pasto" in tariff_explain(
        old.tariff_steps, old.service.unit
    )
    assert old.events.filter(action="isee_purged").count() == 1
    recent.refresh_from_db()
    assert (recent.isee_amount, recent.isee_protocol, recent.isee_purged_at) == (Decimal("9876.54"), DSU, None)
    assert services.enrollment_isee_purge(now=NOW, dry_run=False) == 0


def test_a_purged_isee_is_never_priced_again_as_missing(old, office):
    services.enrollment_isee_purge(now=NOW, dry_run=False)
    with pytest.raises(TransitionNotAllowedError):
        services.enrollment_exemption_set(enrollment=old, actor=office, percent=50, reason="Disagio")
    old.refresh_from_db()
    assert old.tariff_amount == Decimal("3.50")
    assert old.exemption_percent == 0


def test_the_office_sees_why_the_diet_and_the_isee_are_empty(client, health_officer, old):
    services.medical_diet_purge(now=NOW, dry_run=False)
    services.enrollment_isee_purge(now=NOW, dry_run=False)
    signed_in(client, health_officer)

    response = client.get(reverse("admin:enrollment_enrollment_change", args=[old.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "indicazioni mediche e certificato cancellati il 03/12/2026 (tempi di conservazione)" in body
    assert "cancellato (tempi di conservazione)" in body
    assert "dati sanitari cancellati (tempi di conservazione)" in body  # the history says why
    assert reverse("admin:enrollment_enrollment_medical_diet", args=[old.pk]) not in body


def test_the_parent_page_says_the_isee_value_was_deleted_and_keeps_the_tariff(client, old):
    services.enrollment_isee_purge(now=NOW, dry_run=False)
    client.force_login(old.created_by)
    Guardianship.objects.create(adult=old.created_by, child=old.child, role=Guardianship.Role.REFERENCE)

    response = client.get(reverse("enrollment:detail", kwargs={"pk": old.pk}))

    text = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Presentato (valore e protocollo DSU cancellati il 03/12/2026, scaduti i tempi di conservazione)" in text
    assert "Fascia ISEE da 7.500,00 € a 15.000,00 € (escluso)" in text
    assert "Presentato:  €" not in text


def test_without_the_health_permission_the_purge_of_health_data_is_not_shown(client, office, old):
    services.medical_diet_purge(now=NOW, dry_run=False)
    services.enrollment_isee_purge(now=NOW, dry_run=False)
    signed_in(client, office)

    body = client.get(reverse("admin:enrollment_enrollment_change", args=[old.pk])).content.decode()

    assert "valore ISEE cancellato (tempi di conservazione)" in body
    assert "dati sanitari cancellati" not in body
    assert "indicazioni mediche" not in body
