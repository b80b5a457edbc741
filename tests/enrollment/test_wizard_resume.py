"""The wizard: saving, leaving and resuming a draft, and the start page."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Enrollment, EnrollmentWindow
from tests.conftest import PASSWORD

from .factories import child_of, enrollment_make
from .helpers import ROME, S, page_text, post_step, start, step_url

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
