"""Health data in the back office: never shown without `view_health_data`; with it, every view and download logged."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from enrollment.models import Enrollment, HealthDataAccess, MedicalDiet

from .factories import ChildFactory, enrollment_make
from .helpers import signed_in

pytestmark = pytest.mark.django_db

DETAILS = "Allergia grave alle arachidi e alla frutta a guscio"
PDF = b"%PDF-1.4\n% certificato di prova\n"


@pytest.fixture
def medical(canteen, school, school_class, school_year):
    enrollment = enrollment_make(
        status=Enrollment.Status.ACCEPTED,
        child=ChildFactory(first_name="Marta", last_name="Medici", codice_fiscale="MDCMRT18A41H501Q"),
        service=canteen,
        school_year=school_year,
        school=school,
        school_class=school_class,
        diet=Enrollment.Diet.MEDICAL,
        diet_status=Enrollment.DietStatus.ACCEPTED,
    )
    diet = MedicalDiet(enrollment=enrollment, details=DETAILS, certificate_name="certificato pediatra.pdf")
    diet.certificate.save("0123456789abcdef.pdf", ContentFile(PDF), save=False)
    diet.save()
    return enrollment


def admin_pages(enrollment) -> list[str]:
    return [
        reverse("admin:enrollment_enrollment_changelist"),
        reverse("admin:enrollment_enrollment_changelist") + "?q=MDCMRT18A41H501Q",
        reverse("admin:enrollment_enrollment_change", args=[enrollment.pk]),
        reverse("admin:enrollment_exports"),
    ]


def test_staff_without_the_permission_sees_no_health_data_anywhere(client, office, medical):
    signed_in(client, office)
    for url in admin_pages(medical):
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 200, url
        assert DETAILS not in body, url
        assert "dieta per motivi di salute" not in body, url
        assert "certificato" not in body.lower(), url
        assert reverse("admin:enrollment_enrollment_medical_diet", args=[medical.pk]) not in body, url

    assert client.get(reverse("admin:enrollment_enrollment_medical_diet", args=[medical.pk])).status_code == 403
    assert client.get(reverse("admin:enrollment_enrollment_certificate", args=[medical.pk])).status_code == 403
    assert client.get(reverse("admin:enrollment_healthdataaccess_changelist")).status_code == 403
    assert not HealthDataAccess.objects.exists()


def test_kitchen_export_without_the_permission_counts_but_names_nobody(client, office, medical):
    signed_in(client, office)
    url = reverse("admin:enrollment_export_kitchen")
    response = client.get(url, {"giorno": "05/10/2026"})
    data = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response.status_code == 200
    assert "dieta medica;1" in data
    assert "Medici" not in data
    assert DETAILS not in data

    assert client.get(url, {"giorno": "05/10/2026", "nomi": "1"}).status_code == 403
    assert not HealthDataAccess.objects.exists()


def test_with_the_permission_the_medical_diet_page_shows_the_details_and_logs_the_view(
    client, health_officer, medical
):
    signed_in(client, health_officer)
    change = client.get(reverse("admin:enrollment_enrollment_change", args=[medical.pk])).content.decode()
    page_url = reverse("admin:enrollment_enrollment_medical_diet", args=[medical.pk])
    assert page_url in change
    assert DETAILS not in change  # not even with the permission: on its own page, logged
    assert not HealthDataAccess.objects.exists()

    response = client.get(page_url)
    body = response.content.decode()
    assert response.status_code == 200
    assert DETAILS in body
    assert "no-store" in response["Cache-Control"]
    assert reverse("admin:enrollment_enrollment_certificate", args=[medical.pk]) in body
    access = HealthDataAccess.objects.get()
    assert (access.user, access.enrollment, access.action) == (health_officer, medical, HealthDataAccess.Action.VIEW)

    client.get(page_url)
    assert HealthDataAccess.objects.filter(action=HealthDataAccess.Action.VIEW).count() == 2


def test_with_the_permission_the_certificate_downloads_as_an_attachment_and_is_logged(client, health_officer, medical):
    signed_in(client, health_officer)
    response = client.get(reverse("admin:enrollment_enrollment_certificate", args=[medical.pk]))

    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    access = HealthDataAccess.objects.get()
    assert (access.user, access.enrollment, access.action) == (
        health_officer,
        medical,
        HealthDataAccess.Action.DOWNLOAD,
    )


def test_the_access_log_is_read_only_and_for_health_staff(client, health_officer, medical):
    signed_in(client, health_officer)
    client.get(reverse("admin:enrollment_enrollment_medical_diet", args=[medical.pk]))
    access = HealthDataAccess.objects.get()

    assert client.get(reverse("admin:enrollment_healthdataaccess_changelist")).status_code == 403  # no model perm
    from django.contrib.auth.models import Permission

    health_officer.user_permissions.add(Permission.objects.get(codename="view_healthdataaccess"))
    response = client.get(reverse("admin:enrollment_healthdataaccess_changelist"))
    assert response.status_code == 200
    assert "visualizzazione" in response.content.decode()
    assert client.get(reverse("admin:enrollment_healthdataaccess_add")).status_code == 403
    assert client.post(reverse("admin:enrollment_healthdataaccess_delete", args=[access.pk])).status_code == 403


def test_kitchen_export_with_names_is_logged_and_never_has_the_details(client, health_officer, medical):
    signed_in(client, health_officer)
    response = client.get(reverse("admin:enrollment_export_kitchen"), {"giorno": "2026-10-05", "nomi": "1"})
    data = b"".join(response.streaming_content).decode("utf-8-sig")

    assert "dieta medica;;3A;Medici;Marta;" in data
    assert DETAILS not in data
    access = HealthDataAccess.objects.get()
    assert (access.user, access.action) == (health_officer, HealthDataAccess.Action.EXPORT)


def test_certificates_are_not_served_under_a_public_media_url(client, medical, settings):
    diet = MedicalDiet.objects.get(enrollment=medical)
    assert client.get(settings.MEDIA_URL + diet.certificate.name).status_code == 404
    assert client.get("/media/" + diet.certificate.name).status_code == 404


def test_the_diet_note_of_a_decision_is_hidden_from_staff_without_the_permission(
    client, office, health_officer, canteen, school, school_year
):
    from enrollment import services

    enrollment = enrollment_make(
        service=canteen,
        school_year=school_year,
        school=school,
        diet=Enrollment.Diet.MEDICAL,
        diet_status=Enrollment.DietStatus.REQUESTED,
        submitted_at=datetime.datetime(2026, 5, 2, 10, tzinfo=datetime.UTC),
    )
    services.enrollment_diet_decide(
        enrollment=enrollment, actor=health_officer, accepted=True, note="Certificato del pediatra verificato"
    )
    url = reverse("admin:enrollment_enrollment_change", args=[enrollment.pk])

    signed_in(client, office)
    body = client.get(url).content.decode()
    assert "dieta accolta" in body
    assert "Certificato del pediatra verificato" not in body

    signed_in(client, health_officer)
    assert "Certificato del pediatra verificato" in client.get(url).content.decode()
