"""The office's admin: the late applicant and the configuration pages."""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Enrollment, EnrollmentWindow, SchoolStaff, TariffBand, TariffPlan

from .factories import ChildFactory, UserFactory

pytestmark = pytest.mark.django_db

Status = Enrollment.Status


# --- the late applicant --------------------------------------------------------------------------


def test_office_enrolls_a_late_applicant_outside_the_window(
    office_client, canteen, canteen_plan, school, school_class, school_year
):
    EnrollmentWindow.objects.create(
        service=canteen,
        school_year=school_year,
        opens_at=timezone.now() - datetime.timedelta(days=60),
        closes_at=timezone.now() - datetime.timedelta(days=30),
    )
    child = ChildFactory(codice_fiscale="RTRLCU18A01H501U", first_name="Luca", last_name="Ritardi")
    start = reverse("admin:enrollment_enrollment_late")
    assert office_client.get(start).status_code == 200

    response = office_client.post(start, {"child": "NONESISTE", "service": canteen.pk, "school_year": school_year.pk})
    assert "Nessun bambino con questo codice fiscale" in response.content.decode()

    response = office_client.post(
        start, {"child": "rtrlcu18a01h501u", "service": canteen.pk, "school_year": school_year.pk}
    )
    draft = Enrollment.objects.get(child=child)
    assert response.status_code == 302
    assert response.url == reverse("admin:enrollment_enrollment_late_complete", args=[draft.pk])

    details = {
        "school": school.pk,
        "school_class": school_class.pk,
        "resident": "1",
        "isee_presented": "0",
        "diet": "none",
    }
    response = office_client.post(response.url, details)  # declarations not ticked
    assert response.status_code == 200
    assert "dichiarazioni firmate" in response.content.decode()

    response = office_client.post(
        reverse("admin:enrollment_enrollment_late_complete", args=[draft.pk]), {**details, "declarations": "on"}
    )
    draft.refresh_from_db()
    assert response.status_code == 302, response.content.decode()[:3000]
    assert draft.status == Status.SUBMITTED
    assert draft.tariff_amount == Decimal("4.50")  # no ISEE: the top band


# --- configuration -------------------------------------------------------------------------------


def band_data(plan_pk, bands):
    data = {
        "bands-TOTAL_FORMS": str(len(bands)),
        "bands-INITIAL_FORMS": "0",
        "bands-MIN_NUM_FORMS": "0",
        "bands-MAX_NUM_FORMS": "1000",
    }
    for n, (start, end, amount) in enumerate(bands):
        data.update({f"bands-{n}-isee_from": start, f"bands-{n}-isee_to": end, f"bands-{n}-amount": amount})
    return data


def test_tariff_plan_bands_with_a_gap_are_refused_with_the_reason(superuser_client, canteen, school_year):
    url = reverse("admin:enrollment_tariffplan_add")
    page = superuser_client.get(url)
    assert "«da» incluso, «fino a» escluso" in page.content.decode()
    base = {
        "service": canteen.pk,
        "school_year": school_year.pk,
        "sibling_second_percent": "0",
        "sibling_third_percent": "0",
    }

    response = superuser_client.post(url, {**base, **band_data(None, [("0", "5000", "2"), ("6000", "", "3")])})
    assert response.status_code == 200
    assert "Manca una fascia tra 5.000,00 € e 6.000,00 €" in response.content.decode()
    assert not TariffPlan.objects.exists()

    response = superuser_client.post(url, {**base, **band_data(None, [("0", "5000", "2"), ("5000", "", "3")])})
    assert response.status_code == 302
    plan = TariffPlan.objects.get()
    assert TariffBand.objects.filter(plan=plan).count() == 2
    page = superuser_client.get(reverse("admin:enrollment_tariffplan_change", args=[plan.pk])).content.decode()
    assert "Residente con ISEE 8.000,00 €, primo figlio" in page
    assert "3,00 € a pasto" in page


@pytest.mark.parametrize(
    "name",
    [
        "schoolyear",
        "enrollmentwindow",
        "school",
        "service",
        "tariffplan",
        "route",
        "schoolstaff",
        "healthdataaccess",
        "enrollment",
    ],
)
def test_configuration_lists_and_add_pages_load(superuser_client, queue, canteen_window, name):
    assert superuser_client.get(reverse(f"admin:enrollment_{name}_changelist")).status_code == 200
    expected = 403 if name in ("enrollment", "healthdataaccess") else 200  # written by services only
    assert superuser_client.get(reverse(f"admin:enrollment_{name}_add")).status_code == expected


def test_medical_diets_have_no_admin_of_their_own():
    from enrollment.models import MedicalDiet

    assert MedicalDiet not in admin.site._registry


def test_route_list_shows_seats_taken_and_windows_show_open_now(superuser_client, queue, route, canteen_window):
    body = superuser_client.get(reverse("admin:enrollment_route_changelist")).content.decode()
    assert "0 / 3" in body  # two waiting, none holding a seat
    body = superuser_client.get(reverse("admin:enrollment_enrollmentwindow_changelist")).content.decode()
    assert "icon-yes" in body


def test_school_staff_can_be_configured(superuser_client, school, route):
    user = UserFactory()
    response = superuser_client.post(
        reverse("admin:enrollment_schoolstaff_add"), {"user": user.pk, "schools": [school.pk], "routes": [route.pk]}
    )
    assert response.status_code == 302
    assert list(SchoolStaff.objects.get(user=user).schools.all()) == [school]
