"""The parent's enrollment wizard through the test client: whole journeys and the refusals on the way."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enrollment.models import Enrollment, MedicalDiet

from .factories import enrollment_make
from .helpers import DETAILS, DSU, PDF, S, declarations, page_text, post_step, start, step_url


@pytest.mark.django_db
def test_canteen_wizard_with_medical_diet_and_certificate(
    parent_client,
    parent,
    giulia,
    open_windows,
    canteen_window,
    school,
    school_class,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    page = parent_client.get(reverse("enrollment:start"))
    assert page.status_code == 200
    text = page_text(page)
    assert "Iscrivi Giulia ai servizi" in text  # one child: straight to the services
    assert "Mensa scolastica" in text
    assert "Trasporto scolastico" in text
    assert "Iscrizioni aperte fino al" in text

    response = parent_client.post(reverse("enrollment:start"), {"bambino": giulia.pk, "windows": [canteen_window.pk]})
    enrollment = Enrollment.objects.get(child=giulia, service=canteen_window.service)
    assert response.url == step_url(enrollment, "scuola")

    page = parent_client.get(step_url(enrollment, "scuola"))
    text = page_text(page)
    assert "Passo 1 di 6" in text
    assert "Salva e continua" in text
    assert "Salva ed esci" in text
    assert "Perché lo chiediamo" in text
    post_step(parent_client, enrollment, "scuola", {"school": school.pk}, expect_next="classe")
    assert "Passo 2 di 6" in page_text(parent_client.get(step_url(enrollment, "classe")))
    post_step(parent_client, enrollment, "classe", {"school_class": school_class.pk}, expect_next="residenza")
    post_step(parent_client, enrollment, "residenza", {"resident": "si"}, expect_next="isee")
    isee = {"presented": "si", "amount": "12.345,67", "protocol": DSU, "expires_on": "2027-12-31"}
    post_step(parent_client, enrollment, "isee", isee, expect_next="dieta")
    certificate = SimpleUploadedFile("certificato.pdf", PDF, content_type="application/pdf")
    post_step(
        parent_client,
        enrollment,
        "dieta",
        {"diet": "medical", "medical_details": DETAILS, "certificate": certificate},
        expect_next="riepilogo",
    )
    enrollment.refresh_from_db()
    assert (enrollment.school, enrollment.school_class, enrollment.resident) == (school, school_class, True)
    assert str(enrollment.isee_amount) == "12345.67"
    assert enrollment.diet == Enrollment.Diet.MEDICAL
    medical = MedicalDiet.objects.get(enrollment=enrollment)
    assert medical.details == DETAILS
    assert medical.certificate
    assert medical.certificate_name == "certificato.pdf"

    summary = page_text(parent_client.get(step_url(enrollment, "riepilogo")))
    assert "Passo 6 di 6" in summary
    assert "Scuola primaria Gianni Rodari" in summary
    assert "3A" in summary
    assert "3,50 €" in summary  # ISEE 12.345,67 → the band from 7.500 to 15.000
    assert "Fascia ISEE da 7.500,00 € a 15.000,00 €" in summary
    assert "certificato caricato" in summary
    assert DETAILS not in summary
    assert "trattamento dei dati sulla salute" in summary  # the health-data consent, only for a medical diet

    # Without the health consent nothing is sent.
    refused = parent_client.post(step_url(enrollment, "riepilogo"), declarations())
    assert refused.status_code == 200
    assert "Senza il consenso ai dati sulla salute" in page_text(refused)
    enrollment.refresh_from_db()
    assert enrollment.status == S.DRAFT

    with django_capture_on_commit_callbacks(execute=True):
        response = parent_client.post(step_url(enrollment, "riepilogo"), declarations(health_consent="on"))
    assert response.status_code == 302
    assert response.url == reverse("enrollment:done", kwargs={"pk": enrollment.pk})
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUBMITTED
    assert enrollment.protocol
    assert enrollment.declarations_accepted_at is not None

    # The confirmation e-mail carries the receipt (built at delivery), and no health data or ISEE.
    (message,) = [m for m in mailoutbox if enrollment.protocol in m.body]
    assert message.to == [parent.email]
    assert [(name, kind) for name, _, kind in message.attachments] == [
        (f"ricevuta-iscrizione-{enrollment.protocol}.pdf", "application/pdf")
    ]
    assert DETAILS not in message.body
    assert "12.345,67" not in message.body

    done = page_text(parent_client.get(response.url))
    assert enrollment.protocol in done
    assert "inviata" in done
    assert "3,50 €" in done
    assert reverse("enrollment:receipt_pdf", kwargs={"pk": enrollment.pk}) in done
    assert reverse("accounts:family") in done

    # Replaying a page of the wizard after submission changes nothing and lands on the detail page.
    replay = post_step(parent_client, enrollment, "residenza", {"resident": "no"})
    assert replay.url == reverse("enrollment:detail", kwargs={"pk": enrollment.pk})
    enrollment.refresh_from_db()
    assert enrollment.resident is True


@pytest.mark.django_db
def test_transport_wizard_with_route_and_stop(
    parent_client, giulia, open_windows, transport_window, school, school_class, route
):
    enrollment = start(parent_client, giulia, transport_window)
    post_step(parent_client, enrollment, "scuola", {"school": school.pk}, expect_next="classe")
    post_step(parent_client, enrollment, "classe", {"school_class": school_class.pk}, expect_next="residenza")
    post_step(parent_client, enrollment, "residenza", {"resident": "si"}, expect_next="isee")
    post_step(parent_client, enrollment, "isee", {"presented": "no"}, expect_next="linea")
    page = page_text(parent_client.get(step_url(enrollment, "linea")))
    assert "Passo 5 di 8" in page
    assert "Linea 1 — 3 posti liberi su 3" in page
    post_step(parent_client, enrollment, "linea", {"route": route.pk}, expect_next="fermata")
    page = page_text(parent_client.get(step_url(enrollment, "fermata")))
    assert "Piazza Roma" in page
    assert "Via Verdi" in page
    assert "andata 07:30" in page
    stop = route.stops.get(order=2)
    post_step(parent_client, enrollment, "fermata", {"stop": stop.pk, "direction": "both"}, expect_next="ritiro")
    missing = post_step(parent_client, enrollment, "ritiro", {"pickup_adults": "  "})
    assert missing.status_code == 200
    assert "Scrivi almeno un adulto" in page_text(missing)
    adults = "Anna Verdi, C.I. CA12345AB\n\n  Paolo   Verdi, patente U1234567  \n"
    post_step(parent_client, enrollment, "ritiro", {"pickup_adults": adults}, expect_next="riepilogo")
    enrollment.refresh_from_db()
    assert (enrollment.route, enrollment.stop, enrollment.direction) == (route, stop, "both")
    assert enrollment.pickup_adults == "Anna Verdi, C.I. CA12345AB\nPaolo Verdi, patente U1234567"

    summary = page_text(parent_client.get(step_url(enrollment, "riepilogo")))
    assert "Linea 1" in summary
    assert "Via Verdi" in summary
    assert "andata e ritorno" in summary
    assert "3 posti liberi su 3" in summary
    assert "300,00 €" in summary
    assert "Nessun ISEE presentato" in summary
    assert "trattamento dei dati sulla salute" not in summary

    response = parent_client.post(step_url(enrollment, "riepilogo"), declarations())
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUBMITTED


@pytest.mark.django_db
def test_transport_full_route_goes_to_the_waiting_list_with_its_position(
    parent, parent_client, giulia, open_windows, transport_window, school, route
):
    for _ in range(route.capacity):
        enrollment_make(service=transport_window.service, school_year=transport_window.school_year, route=route)
    enrollment = start(parent_client, giulia, transport_window)
    post_step(parent_client, enrollment, "scuola", {"school": school.pk})
    post_step(parent_client, enrollment, "residenza", {"resident": "si"})
    post_step(parent_client, enrollment, "isee", {"presented": "no"})
    page = page_text(parent_client.get(step_url(enrollment, "linea")))
    assert "posti esauriti" in page
    post_step(parent_client, enrollment, "linea", {"route": route.pk})
    post_step(parent_client, enrollment, "fermata", {"stop": route.stops.first().pk, "direction": "outbound"})
    post_step(parent_client, enrollment, "ritiro", {"pickup_adults": ""}, expect_next="riepilogo")  # solo andata
    summary = page_text(parent_client.get(step_url(enrollment, "riepilogo")))
    assert "Posti esauriti: la domanda andrà in lista d'attesa" in summary
    done = page_text(parent_client.post(step_url(enrollment, "riepilogo"), declarations(), follow=True))
    assert "in lista d'attesa" in done
    assert "posizione 1" in done


@pytest.mark.django_db
def test_stop_not_on_the_route_is_refused(
    parent_client, giulia, open_windows, transport_window, school, route, other_route
):
    enrollment = start(parent_client, giulia, transport_window)
    post_step(parent_client, enrollment, "scuola", {"school": school.pk})
    post_step(parent_client, enrollment, "linea", {"route": route.pk}, expect_next="fermata")
    foreign_stop = other_route.stops.get()
    response = post_step(parent_client, enrollment, "fermata", {"stop": foreign_stop.pk, "direction": "both"})
    assert response.status_code == 200
    assert "La fermata scelta non è sulla linea «Linea 1»" in page_text(response)
    for tampered in ("abc", "999999", ""):
        response = post_step(parent_client, enrollment, "fermata", {"stop": tampered, "direction": "both"})
        assert response.status_code == 200
    response = post_step(
        parent_client, enrollment, "fermata", {"stop": route.stops.first().pk, "direction": "sideways"}
    )
    assert "Scegli uno dei percorsi elencati" in page_text(response)
    enrollment.refresh_from_db()
    assert enrollment.stop is None
    assert enrollment.direction == ""


@pytest.mark.django_db
def test_a_school_the_service_does_not_serve_or_a_class_of_another_school_is_refused(
    parent_client, giulia, open_windows, transport_window, school, school_class, other_school, other_class
):
    enrollment = start(parent_client, giulia, transport_window)  # transport serves `school` only
    response = post_step(parent_client, enrollment, "scuola", {"school": other_school.pk})
    assert response.status_code == 200
    assert "Il servizio non è attivo nella scuola indicata" in page_text(response)
    post_step(parent_client, enrollment, "scuola", {"school": school.pk})
    response = post_step(parent_client, enrollment, "classe", {"school_class": other_class.pk})
    assert "Questa classe non è della scuola scelta" in page_text(response)
    enrollment.refresh_from_db()
    assert enrollment.school == school
    assert enrollment.school_class is None


@pytest.mark.django_db
def test_pages_need_their_prerequisites_and_other_services_pages_do_not_exist(canteen_draft, parent_client):
    assert parent_client.get(step_url(canteen_draft, "classe")).url == step_url(canteen_draft, "scuola")
    assert parent_client.get(step_url(canteen_draft, "linea")).url == step_url(canteen_draft, "scuola")
    assert parent_client.get(step_url(canteen_draft, "non-esiste")).status_code == 404
