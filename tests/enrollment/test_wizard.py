"""The parent's enrollment wizard through the test client: start, every page, summary, submission and its errors."""

import datetime
import html
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Enrollment, EnrollmentWindow, MedicalDiet
from tests.conftest import PASSWORD

from .factories import child_of, enrollment_make

S = Enrollment.Status
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ROME = ZoneInfo("Europe/Rome")
DSU = "INPS-ISEE-2026-12345678A-00"
DETAILS = "Allergia alle arachidi e alla frutta a guscio"


def page_text(response) -> str:
    """The page as a person reads it (entities decoded)."""
    return html.unescape(response.content.decode())


def step_url(enrollment, slug: str) -> str:
    return reverse("enrollment:step", kwargs={"pk": enrollment.pk, "step": slug})


def post_step(client, enrollment, slug: str, data: dict, *, expect_next: str | None = None, **extra):
    response = client.post(step_url(enrollment, slug), {"azione": "continua", **data}, **extra)
    if expect_next is not None:
        assert response.status_code == 302, page_text(response)[:3000]
        assert response.url == step_url(enrollment, expect_next), response.url
    return response


def start(client, child, *windows) -> Enrollment:
    response = client.post(reverse("enrollment:start"), {"bambino": child.pk, "windows": [w.pk for w in windows]})
    assert response.status_code == 302, page_text(response)[:3000]
    return Enrollment.objects.filter(child=child, status=S.DRAFT).order_by("pk").first()


def declarations(**extra) -> dict:
    return {"azione": "invia", "truthful": "on", "privacy": "on", **extra}


@pytest.fixture
def canteen_draft(parent_client, giulia, open_windows, canteen_window):
    return start(parent_client, giulia, canteen_window)


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


# --- saving, leaving and resuming ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_save_and_exit_then_resume_in_a_new_session(
    client, parent, giulia, open_windows, canteen_window, school, school_class
):
    client.force_login(parent)
    enrollment = start(client, giulia, canteen_window)
    post_step(client, enrollment, "scuola", {"school": school.pk})
    post_step(client, enrollment, "classe", {"school_class": school_class.pk})
    response = client.post(step_url(enrollment, "residenza"), {"resident": "no", "azione": "esci"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:family")
    assert "Abbiamo salvato la domanda di Giulia" in page_text(response)
    enrollment.refresh_from_db()
    assert enrollment.resident is False

    client.logout()
    assert client.login(username=parent.email, password=PASSWORD)
    start_page = page_text(client.get(reverse("enrollment:start")))
    assert "Domande da completare" in start_page
    assert "Riprendi" in start_page
    assert step_url(enrollment, "isee") in start_page
    resumed = client.get(reverse("enrollment:detail", kwargs={"pk": enrollment.pk}))
    assert resumed.url == step_url(enrollment, "isee")
    assert "Passo 4 di 6" in page_text(client.get(resumed.url))
    # Choosing the same service again resumes the same draft.
    options = page_text(client.get(reverse("enrollment:start")))
    assert "Hai già iniziato la domanda" in options


@pytest.mark.django_db
def test_invalid_page_with_save_and_exit_keeps_what_was_typed(canteen_draft, parent_client, school):
    post_step(parent_client, canteen_draft, "scuola", {"school": school.pk})
    response = parent_client.post(
        step_url(canteen_draft, "isee"),
        {"presented": "si", "amount": "12,345.67", "protocol": "sbagliato", "azione": "esci"},
    )
    assert response.status_code == 200
    text = page_text(response)
    assert 'value="12,345.67"' in text
    assert 'value="sbagliato"' in text
    canteen_draft.refresh_from_db()
    assert canteen_draft.isee_presented is None


@pytest.mark.django_db
def test_editing_from_the_summary_returns_to_the_summary(
    canteen_draft, parent_client, school, school_class, other_school, other_class
):
    post_step(parent_client, canteen_draft, "scuola", {"school": school.pk})
    post_step(parent_client, canteen_draft, "classe", {"school_class": school_class.pk})
    post_step(parent_client, canteen_draft, "residenza", {"resident": "si"})
    post_step(parent_client, canteen_draft, "isee", {"presented": "no"})
    post_step(parent_client, canteen_draft, "dieta", {"diet": "none"}, expect_next="riepilogo")
    summary = page_text(parent_client.get(step_url(canteen_draft, "riepilogo")))
    assert step_url(canteen_draft, "residenza") + "?ritorno=riepilogo" in summary
    back = parent_client.post(step_url(canteen_draft, "residenza") + "?ritorno=riepilogo", {"resident": "no"})
    assert back.url == step_url(canteen_draft, "riepilogo")
    assert "6,00 €" in page_text(parent_client.get(back.url))  # the non-resident tariff
    # A new school resets the class: the class page comes first, then the summary.
    changed = parent_client.post(step_url(canteen_draft, "scuola") + "?ritorno=riepilogo", {"school": other_school.pk})
    assert changed.url == step_url(canteen_draft, "classe") + "?ritorno=riepilogo"
    done = parent_client.post(changed.url, {"school_class": other_class.pk})
    assert done.url == step_url(canteen_draft, "riepilogo")


@pytest.mark.django_db
def test_several_services_make_one_draft_each(parent_client, giulia, open_windows, canteen_window, transport_window):
    response = parent_client.post(
        reverse("enrollment:start"),
        {"bambino": giulia.pk, "windows": [canteen_window.pk, transport_window.pk]},
        follow=True,
    )
    drafts = Enrollment.objects.filter(child=giulia, status=S.DRAFT)
    assert drafts.count() == 2
    text = page_text(response)
    assert "Abbiamo preparato 2 domande per Giulia" in text
    assert "Domande da completare" not in text or "Riprendi" in text


@pytest.mark.django_db
def test_re_enrollment_is_prefilled_and_says_so(
    parent, parent_client, giulia, open_windows, canteen_window, previous_year, school, school_class
):
    enrollment_make(
        child=giulia,
        service=canteen_window.service,
        school_year=previous_year,
        school=school,
        school_class=school_class,
        resident=False,
        status=S.ACCEPTED,
        created_by=parent,
    )
    enrollment = start(parent_client, giulia, canteen_window)
    assert enrollment.school == school
    assert enrollment.resident is False
    page = page_text(parent_client.get(step_url(enrollment, "scuola")))
    assert "Abbiamo ripreso i dati dell'iscrizione dell'anno scorso (2025/2026): controllali" in page
    assert re.search(rf'<input type="radio" name="school" value="{school.pk}"[^>]* checked', page)
    residency = page_text(parent_client.get(step_url(enrollment, "residenza")))
    assert re.search(r'<input type="radio" name="resident" value="no"[^>]* checked', residency)
    assert "Abbiamo ripreso i dati" in residency  # on every page until it is sent
    # The new year's ISEE is never prefilled; "Riprendi" starts from the first page, to check everything.
    assert enrollment.isee_presented is None
    assert parent_client.get(reverse("enrollment:detail", kwargs={"pk": enrollment.pk})).url == step_url(
        enrollment, "scuola"
    )


@pytest.mark.django_db
def test_start_page_lists_every_state_of_the_services(
    parent, parent_client, giulia, school_year, canteen, transport, nursery, canteen_plan
):
    now = timezone.now()
    EnrollmentWindow.objects.create(
        service=canteen,
        school_year=school_year,
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=9),
    )
    EnrollmentWindow.objects.create(
        service=transport,
        school_year=school_year,
        opens_at=datetime.datetime(2027, 3, 1, 9, 0, tzinfo=ROME),
        closes_at=datetime.datetime(2027, 4, 1, 9, 0, tzinfo=ROME),
    )
    EnrollmentWindow.objects.create(
        service=nursery,
        school_year=school_year,
        opens_at=now - datetime.timedelta(days=20),
        closes_at=now - datetime.timedelta(days=1),
    )
    text = page_text(parent_client.get(reverse("enrollment:start")))
    assert "Iscrizioni aperte fino al" in text
    assert "apre il 01/03/2027 alle 09:00" in text
    assert "Iscrizioni chiuse il" in text
    enrollment_make(child=giulia, service=canteen, school_year=school_year, status=S.WAITLISTED, created_by=parent)
    text = page_text(parent_client.get(reverse("enrollment:start")))
    assert "Già iscritto" in text
    assert "in lista d'attesa" in text
    assert 'name="windows"' not in text  # nothing left to choose


@pytest.mark.django_db
def test_start_with_several_children_asks_which_one(parent, parent_client, giulia, open_windows):
    child_of(parent, first_name="Marco", last_name="Rossi")
    page = page_text(parent_client.get(reverse("enrollment:start")))
    assert "Chi vuoi iscrivere?" in page
    assert "Marco" in page
    assert "Giulia" in page
    chosen = page_text(parent_client.get(reverse("enrollment:start"), {"bambino": giulia.pk}))
    assert "Iscrivi Giulia ai servizi" in chosen


@pytest.mark.django_db
def test_start_without_children_says_how_to_add_one(parent_client, open_windows):
    page = page_text(parent_client.get(reverse("enrollment:start")))
    assert reverse("accounts:child_add") in page


@pytest.mark.django_db
def test_start_requires_a_service(parent_client, giulia, open_windows):
    response = parent_client.post(reverse("enrollment:start"), {"bambino": giulia.pk})
    assert response.status_code == 200
    assert "Scegli almeno un servizio" in page_text(response)


# --- ISEE -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "stored"),
    [
        ("12.345,67", "12345.67"),
        ("12345.67", "12345.67"),
        ("12345,67", "12345.67"),
        ("0", "0.00"),
        ("1.000.000", "1000000.00"),
    ],
)
def test_isee_amounts_accepted(canteen_draft, parent_client, school, amount, stored):
    post_step(parent_client, canteen_draft, "scuola", {"school": school.pk})
    data = {"presented": "si", "amount": amount, "protocol": DSU.lower(), "expires_on": "31/12/2027"}
    post_step(parent_client, canteen_draft, "isee", data, expect_next="dieta")
    canteen_draft.refresh_from_db()
    assert str(canteen_draft.isee_amount) == stored
    assert canteen_draft.isee_protocol == DSU
    assert canteen_draft.isee_expires_on == datetime.date(2027, 12, 31)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "12,345.67"}, "Scrivi l'importo all'italiana"),
        ({"amount": "-1"}, "non può essere negativo"),
        ({"amount": "1000001"}, "non può superare 1.000.000,00 €"),
        ({"amount": "dodicimila"}, "Scrivi solo cifre"),
        ({"amount": ""}, "Scrivi il valore ISEE"),
        ({"protocol": "INPS-2026-123"}, "Il protocollo DSU non ha il formato giusto"),
        ({"protocol": ""}, "Scrivi il numero di protocollo della DSU"),
        ({"expires_on": ""}, "Scrivi la data di scadenza"),
        ({"expires_on": "31/02/2027"}, "Scrivi la data come gg/mm/aaaa"),
        ({"expires_on": "2040-01-01"}, "Controlla la data"),
        ({"presented": "forse"}, "Scegli una delle due risposte"),
    ],
)
def test_isee_errors_are_explained_and_nothing_is_saved(canteen_draft, parent_client, school, data, message):
    post_step(parent_client, canteen_draft, "scuola", {"school": school.pk})
    full = {"presented": "si", "amount": "12.345,67", "protocol": DSU, "expires_on": "2027-12-31", **data}
    response = post_step(parent_client, canteen_draft, "isee", full)
    assert response.status_code == 200
    assert message in page_text(response)
    canteen_draft.refresh_from_db()
    assert canteen_draft.isee_presented is None
    assert canteen_draft.isee_amount is None


@pytest.mark.django_db
def test_no_isee_clears_the_values_and_states_the_consequence(canteen_draft, parent_client, school):
    post_step(parent_client, canteen_draft, "scuola", {"school": school.pk})
    page = page_text(parent_client.get(step_url(canteen_draft, "isee")))
    assert "Non presento l'ISEE: si applica la tariffa più alta" in page
    post_step(
        parent_client,
        canteen_draft,
        "isee",
        {"presented": "si", "amount": "5000", "protocol": DSU, "expires_on": "2027-12-31"},
    )
    post_step(parent_client, canteen_draft, "isee", {"presented": "no", "amount": "5000"}, expect_next="dieta")
    canteen_draft.refresh_from_db()
    assert canteen_draft.isee_presented is False
    assert canteen_draft.isee_amount is None


@pytest.mark.django_db
def test_expired_isee_warns_that_the_tariff_is_without_isee(canteen_draft, parent_client, school, school_class):
    post_step(parent_client, canteen_draft, "scuola", {"school": school.pk})
    post_step(parent_client, canteen_draft, "classe", {"school_class": school_class.pk})
    post_step(parent_client, canteen_draft, "residenza", {"resident": "si"})
    expired = (timezone.localdate() - datetime.timedelta(days=10)).isoformat()
    data = {"presented": "si", "amount": "3000", "protocol": DSU, "expires_on": expired}
    response = parent_client.post(step_url(canteen_draft, "isee"), data, follow=True)
    text = page_text(response)
    assert response.redirect_chain[-1][0] == step_url(canteen_draft, "dieta")
    assert "la tariffa sarà calcolata come senza ISEE" in text
    assert "la tariffa sarà calcolata come senza ISEE" in page_text(parent_client.get(step_url(canteen_draft, "isee")))
    post_step(parent_client, canteen_draft, "dieta", {"diet": "none"})
    summary = page_text(parent_client.get(step_url(canteen_draft, "riepilogo")))
    assert "4,50 €" in summary
    assert "ISEE scaduto il" in summary


# --- diet ------------------------------------------------------------------------------------------------------


@pytest.fixture
def at_diet(canteen_draft, parent_client, school, school_class):
    post_step(parent_client, canteen_draft, "scuola", {"school": school.pk})
    post_step(parent_client, canteen_draft, "classe", {"school_class": school_class.pk})
    post_step(parent_client, canteen_draft, "residenza", {"resident": "si"})
    post_step(parent_client, canteen_draft, "isee", {"presented": "no"})
    return canteen_draft


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("foto.png", PNG, "deve essere un file PDF o un'immagine JPEG"),
        ("certificato.pdf", PNG, "deve essere un file PDF o un'immagine JPEG"),
        ("certificato.exe", PDF, "deve essere un file PDF o un'immagine JPEG"),
        ("grande.pdf", PDF + b"0" * (5 * 1024 * 1024), "Il file pesa 5,0 MB: il massimo è 5 MB"),
    ],
    ids=["png", "png-named-pdf", "pdf-named-exe", "over-5-MB"],
)
def test_certificate_of_the_wrong_kind_or_too_large_is_refused(at_diet, parent_client, name, content, message):
    upload = SimpleUploadedFile(name, content)
    response = post_step(
        parent_client, at_diet, "dieta", {"diet": "medical", "medical_details": DETAILS, "certificate": upload}
    )
    assert response.status_code == 200
    text = page_text(response)
    assert message in text
    assert DETAILS in text  # what was typed is kept
    assert not MedicalDiet.objects.filter(enrollment=at_diet).exists()
    at_diet.refresh_from_db()
    assert at_diet.diet == Enrollment.Diet.NONE


@pytest.mark.django_db
def test_medical_diet_needs_details_and_a_certificate_once(at_diet, parent_client):
    response = post_step(parent_client, at_diet, "dieta", {"diet": "medical"})
    text = page_text(response)
    assert "Scrivi le indicazioni mediche" in text
    assert "Carica il certificato medico" in text
    jpeg = SimpleUploadedFile("foto.jpg", JPEG, content_type="image/jpeg")
    post_step(
        parent_client,
        at_diet,
        "dieta",
        {"diet": "medical", "medical_details": DETAILS, "certificate": jpeg},
        expect_next="riepilogo",
    )
    # Coming back: the certificate is kept without uploading it again.
    page = page_text(parent_client.get(step_url(at_diet, "dieta")))
    assert "Hai già caricato «foto.jpg»" in page
    post_step(
        parent_client, at_diet, "dieta", {"diet": "medical", "medical_details": "Celiachia"}, expect_next="riepilogo"
    )
    assert MedicalDiet.objects.get(enrollment=at_diet).details == "Celiachia"
    # Switching to an ethical diet removes the medical one.
    post_step(parent_client, at_diet, "dieta", {"diet": "other", "diet_note": ""})
    post_step(
        parent_client, at_diet, "dieta", {"diet": "other", "diet_note": "Senza carne bovina"}, expect_next="riepilogo"
    )
    at_diet.refresh_from_db()
    assert at_diet.diet == "other"
    assert at_diet.diet_note == "Senza carne bovina"
    assert not MedicalDiet.objects.filter(enrollment=at_diet).exists()


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
