"""The wizard's summary: submission errors, windows, duplicates, another family, nursery, unpublished tariffs."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Enrollment, EnrollmentWindow

from .factories import enrollment_make
from .helpers import S, declarations, page_text, post_step, start, step_url

# --- submission errors -----------------------------------------------------------------------------------------


@pytest.fixture
def ready(at_diet, parent_client):
    post_step(parent_client, at_diet, "dieta", {"diet": "none"}, expect_next="riepilogo")
    return at_diet


@pytest.mark.django_db
def test_window_closed_at_submit_with_a_replayed_form(ready, parent_client, canteen_window):
    summary = parent_client.get(step_url(ready, "riepilogo"))
    assert summary.status_code == 200
    with time_machine.travel(canteen_window.closes_at + datetime.timedelta(minutes=1)):
        response = parent_client.post(step_url(ready, "riepilogo"), declarations())
        assert response.status_code == 200
        text = page_text(response)
        assert "Le iscrizioni sono chiuse dal" in text
        ready.refresh_from_db()
        assert ready.status == S.DRAFT
        assert ready.protocol is None
        # The summary says it before anyone presses the button, too.
        assert "Le iscrizioni sono chiuse dal" in page_text(parent_client.get(step_url(ready, "riepilogo")))


@pytest.mark.django_db
def test_window_not_yet_open_or_closed_at_start(parent_client, giulia, canteen, school_year, canteen_plan):
    window = EnrollmentWindow.objects.create(
        service=canteen,
        school_year=school_year,
        opens_at=timezone.now() + datetime.timedelta(days=2),
        closes_at=timezone.now() + datetime.timedelta(days=30),
    )
    response = parent_client.post(reverse("enrollment:start"), {"bambino": giulia.pk, "windows": [window.pk]})
    assert response.status_code == 200
    assert "Uno dei servizi scelti non è più disponibile" in page_text(response)
    with time_machine.travel(window.closes_at + datetime.timedelta(hours=1)):
        response = parent_client.post(reverse("enrollment:start"), {"bambino": giulia.pk, "windows": [window.pk]})
        assert response.status_code == 200
        assert "Iscrizioni chiuse il" in page_text(response)
    assert not Enrollment.objects.exists()


@pytest.mark.django_db
def test_window_closing_between_the_page_and_the_click(parent_client, giulia, canteen_window, canteen_plan):
    with time_machine.travel(canteen_window.closes_at - datetime.timedelta(minutes=1)):
        page = parent_client.get(reverse("enrollment:start"))
        assert 'name="windows"' in page_text(page)
    with time_machine.travel(canteen_window.closes_at + datetime.timedelta(minutes=1)):
        response = parent_client.post(
            reverse("enrollment:start"), {"bambino": giulia.pk, "windows": [canteen_window.pk]}
        )
    assert response.status_code == 200
    assert not Enrollment.objects.exists()


@pytest.mark.django_db
def test_missing_data_at_submit_points_to_the_page(canteen_draft, parent_client, school):
    post_step(parent_client, canteen_draft, "scuola", {"school": school.pk})
    response = parent_client.post(step_url(canteen_draft, "riepilogo"), declarations())
    assert response.status_code == 200
    text = page_text(response)
    assert "Indica se il bambino è residente nel Comune" in text
    assert step_url(canteen_draft, "residenza") + "?ritorno=riepilogo" in text
    canteen_draft.refresh_from_db()
    assert canteen_draft.status == S.DRAFT


@pytest.mark.django_db
def test_declarations_are_required(ready, parent_client):
    response = parent_client.post(step_url(ready, "riepilogo"), {"azione": "invia", "privacy": "on"})
    assert "devi confermare che i dati sono veri" in page_text(response)
    ready.refresh_from_db()
    assert ready.status == S.DRAFT


@pytest.mark.django_db
def test_duplicate_enrollment_is_refused(parent, parent_client, giulia, open_windows, canteen_window):
    enrollment_make(
        child=giulia, service=canteen_window.service, school_year=canteen_window.school_year, created_by=parent
    )
    response = parent_client.post(reverse("enrollment:start"), {"bambino": giulia.pk, "windows": [canteen_window.pk]})
    assert response.status_code == 200
    assert Enrollment.objects.filter(child=giulia).count() == 1


@pytest.mark.django_db
def test_double_submit_keeps_one_protocol(ready, parent_client):
    first = parent_client.post(step_url(ready, "riepilogo"), declarations())
    second = parent_client.post(step_url(ready, "riepilogo"), declarations())
    assert first.status_code == second.status_code == 302
    assert second.url == reverse("enrollment:detail", kwargs={"pk": ready.pk})
    assert Enrollment.objects.filter(protocol__isnull=False).count() == 1


# --- another family -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_another_familys_child_or_draft_is_a_404(client, other_parent, giulia, open_windows, canteen_window, ready):
    client.force_login(other_parent)
    assert client.get(reverse("enrollment:start"), {"bambino": giulia.pk}).status_code == 404
    response = client.post(reverse("enrollment:start"), {"bambino": giulia.pk, "windows": [canteen_window.pk]})
    assert response.status_code == 404
    assert client.get(reverse("enrollment:start"), {"bambino": "x"}).status_code == 404
    for slug in ("scuola", "isee", "riepilogo"):
        assert client.get(step_url(ready, slug)).status_code == 404
    assert client.post(step_url(ready, "residenza"), {"resident": "no"}).status_code == 404
    assert client.post(step_url(ready, "riepilogo"), declarations()).status_code == 404
    for name in ("detail", "done", "withdraw", "receipt_pdf"):
        assert client.get(reverse(f"enrollment:{name}", kwargs={"pk": ready.pk})).status_code == 404
    assert client.post(reverse("enrollment:withdraw", kwargs={"pk": ready.pk})).status_code == 404
    ready.refresh_from_db()
    assert ready.status == S.DRAFT
    assert ready.resident is True


@pytest.mark.django_db
def test_nursery_asks_diet_and_who_collects_the_child(parent_client, giulia, nursery, school_year, nursery_plan):
    window = EnrollmentWindow.objects.create(
        service=nursery,
        school_year=school_year,
        opens_at=timezone.now() - datetime.timedelta(days=1),
        closes_at=timezone.now() + datetime.timedelta(days=10),
    )
    enrollment = start(parent_client, giulia, window)
    nido = nursery.schools.get()
    post_step(parent_client, enrollment, "scuola", {"school": nido.pk}, expect_next="residenza")  # no sections
    post_step(parent_client, enrollment, "residenza", {"resident": "si"}, expect_next="isee")
    post_step(parent_client, enrollment, "isee", {"presented": "no"}, expect_next="dieta")
    post_step(parent_client, enrollment, "dieta", {"diet": "vegetarian"}, expect_next="ritiro")
    page = page_text(parent_client.get(step_url(enrollment, "ritiro")))
    assert "Passo 5 di 6" in page
    assert "Le educatrici affidano il bambino" in page
    refused = post_step(parent_client, enrollment, "ritiro", {"pickup_adults": ""})
    assert "Scrivi almeno un adulto" in page_text(refused)
    post_step(parent_client, enrollment, "ritiro", {"pickup_adults": "Nonna Lucia Bianchi"}, expect_next="riepilogo")
    summary = page_text(parent_client.get(step_url(enrollment, "riepilogo")))
    assert "Vegetariana" in summary
    assert "Nonna Lucia Bianchi" in summary
    assert "420,00 €" in summary  # no ISEE: the top band of the nursery


@pytest.mark.django_db
def test_tariffs_not_published_yet_are_explained_and_block_the_submission(
    parent_client, giulia, canteen, school_year, school
):
    window = EnrollmentWindow.objects.create(
        service=canteen,
        school_year=school_year,
        opens_at=timezone.now() - datetime.timedelta(days=1),
        closes_at=timezone.now() + datetime.timedelta(days=10),
    )
    enrollment = start(parent_client, giulia, window)
    post_step(parent_client, enrollment, "scuola", {"school": school.pk})
    post_step(parent_client, enrollment, "residenza", {"resident": "si"})
    post_step(parent_client, enrollment, "isee", {"presented": "no"})
    post_step(parent_client, enrollment, "dieta", {"diet": "none"})
    summary = page_text(parent_client.get(step_url(enrollment, "riepilogo")))
    assert "non sono ancora state pubblicate" in summary
    response = parent_client.post(step_url(enrollment, "riepilogo"), declarations())
    assert response.status_code == 200
    assert "non sono ancora state pubblicate" in page_text(response)
    enrollment.refresh_from_db()
    assert enrollment.status == S.DRAFT
