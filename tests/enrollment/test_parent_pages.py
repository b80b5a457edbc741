"""The parent's pages after the wizard: detail, list, withdrawal, the family page's partial."""

import html

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from accounts import selectors as account_selectors
from enrollment import selectors
from enrollment.models import Enrollment, MedicalDiet

from .factories import child_of, enrollment_make

S = Enrollment.Status
DETAILS = "Allergia grave alle proteine del latte vaccino"


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def url(name: str, enrollment) -> str:
    return reverse(f"enrollment:{name}", kwargs={"pk": enrollment.pk})


@pytest.fixture
def sent(parent, giulia, canteen, school_year, school, school_class, canteen_plan):
    """Giulia's canteen enrollment, sent, with a medical diet and ISEE 12.345,67."""
    enrollment = enrollment_make(
        child=giulia,
        service=canteen,
        school_year=school_year,
        school=school,
        school_class=school_class,
        created_by=parent,
        isee_presented=True,
        isee_amount="12345.67",
        isee_protocol="INPS-ISEE-2026-12345678A-00",
        diet=Enrollment.Diet.MEDICAL,
        diet_status=Enrollment.DietStatus.REQUESTED,
        tariff_amount="3.50",
        tariff_steps=[
            {"code": "band", "isee_from": "7500.00", "isee_to": "15000.00", "amount": "3.50"},
            {"code": "total", "amount": "3.50"},
        ],
    )
    MedicalDiet.objects.create(enrollment=enrollment, details=DETAILS, certificate_name="certificato.pdf")
    return enrollment


@pytest.mark.django_db
def test_detail_shows_status_data_and_tariff_but_never_the_medical_details(parent_client, sent):
    response = parent_client.get(url("detail", sent))
    assert response.status_code == 200
    text = page_text(response)
    assert sent.protocol in text
    assert "inviata" in text
    assert "Scuola primaria Gianni Rodari, 3A" in text
    assert "Dieta speciale richiesta · in esame dall'ufficio scuola" in text
    assert "3,50 €" in text
    assert "Fascia ISEE da 7.500,00 € a 15.000,00 € (escluso)" in text
    assert DETAILS not in text
    assert "certificato.pdf" not in text
    assert url("receipt_pdf", sent) in text
    assert url("withdraw", sent) in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "extra", "expected", "withdrawable"),
    [
        (S.ACCEPTED, {}, "accolta", True),
        (S.WAITLISTED, {}, "in lista d'attesa — posizione 1", True),
        (S.REJECTED, {"rejection_reason": "Residenza non confermata"}, "Motivo: Residenza non confermata", False),
        (S.WITHDRAWN, {}, "Hai ritirato questa iscrizione", False),
    ],
)
def test_detail_for_each_status(
    parent, parent_client, giulia, canteen, school_year, status, extra, expected, withdrawable
):
    enrollment = enrollment_make(
        child=giulia, service=canteen, school_year=school_year, created_by=parent, status=status, **extra
    )
    text = page_text(parent_client.get(url("detail", enrollment)))
    assert expected in text
    assert (url("withdraw", enrollment) in text) is withdrawable


@pytest.mark.django_db
def test_list_groups_by_year_with_drafts_and_outcomes(
    parent, parent_client, giulia, canteen, transport, school_year, previous_year
):
    marco = child_of(parent, first_name="Marco", last_name="Rossi")
    enrollment_make(child=giulia, service=canteen, school_year=previous_year, created_by=parent, status=S.ACCEPTED)
    enrollment_make(
        child=giulia,
        service=canteen,
        school_year=school_year,
        created_by=parent,
        status=S.REJECTED,
        rejection_reason="Domanda doppia",
    )
    draft = enrollment_make(child=marco, service=transport, school_year=school_year, created_by=parent, status=S.DRAFT)
    text = page_text(parent_client.get(reverse("enrollment:list")))
    assert text.index("Anno scolastico 2026/2027") < text.index("Anno scolastico 2025/2026")
    assert "Motivo: Domanda doppia" in text
    assert "Marco Rossi · Trasporto scolastico" in text
    assert reverse("enrollment:step", kwargs={"pk": draft.pk, "step": "scuola"}) in text


@pytest.mark.django_db
def test_list_shows_only_the_familys_enrollments(parent_client, other_parent, canteen, school_year):
    stranger = child_of(other_parent, first_name="Sofia", last_name="Bianchi")
    enrollment_make(child=stranger, service=canteen, school_year=school_year, created_by=other_parent)
    text = page_text(parent_client.get(reverse("enrollment:list")))
    assert "Sofia" not in text
    assert "Non hai ancora nessuna iscrizione" in text


@pytest.mark.django_db
def test_withdraw_asks_for_confirmation_then_withdraws(parent_client, sent, django_capture_on_commit_callbacks):
    page = parent_client.get(url("withdraw", sent))
    assert page.status_code == 200
    text = page_text(page)
    assert "Vuoi ritirare l'iscrizione?" in text
    assert "il posto passa a chi è in lista d'attesa" in text
    sent.refresh_from_db()
    assert sent.status == S.SUBMITTED  # a GET changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = parent_client.post(url("withdraw", sent), follow=True)
    assert response.redirect_chain[-1][0] == url("detail", sent)
    assert f"Hai ritirato l'iscrizione {sent.protocol}" in page_text(response)
    sent.refresh_from_db()
    assert sent.status == S.WITHDRAWN
    again = parent_client.post(url("withdraw", sent), follow=True)
    assert "non si può più ritirare" in page_text(again)


@pytest.mark.django_db
def test_withdraw_an_accepted_enrollment(parent, parent_client, giulia, canteen, school_year):
    enrollment = enrollment_make(
        child=giulia, service=canteen, school_year=school_year, created_by=parent, status=S.ACCEPTED
    )
    assert "quanto già dovuto" in page_text(parent_client.get(url("withdraw", enrollment)))
    parent_client.post(url("withdraw", enrollment))
    enrollment.refresh_from_db()
    assert enrollment.status == S.WITHDRAWN


@pytest.mark.django_db
def test_a_draft_is_deleted_through_the_same_page(parent, parent_client, giulia, canteen, school_year):
    draft = enrollment_make(child=giulia, service=canteen, school_year=school_year, created_by=parent, status=S.DRAFT)
    assert "Vuoi eliminare la bozza?" in page_text(parent_client.get(url("withdraw", draft)))
    response = parent_client.post(url("withdraw", draft))
    assert response.url == reverse("accounts:family")
    assert not Enrollment.objects.filter(pk=draft.pk).exists()


@pytest.mark.django_db
def test_detail_and_done_of_a_draft_lead_back_to_the_wizard(parent, parent_client, giulia, canteen, school_year):
    draft = enrollment_make(child=giulia, service=canteen, school_year=school_year, created_by=parent, status=S.DRAFT)
    first_page = reverse("enrollment:step", kwargs={"pk": draft.pk, "step": "scuola"})
    assert parent_client.get(url("detail", draft)).url == first_page
    assert parent_client.get(url("done", draft)).url == first_page
    assert parent_client.get(url("receipt_pdf", draft)).status_code == 404


@pytest.mark.django_db
def test_pages_need_a_login(client, sent):
    for name in ("detail", "done", "withdraw", "receipt_pdf"):
        response = client.get(url(name, sent))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


@pytest.mark.django_db
def test_family_partial_lists_the_enrollments_with_their_status(parent, giulia, canteen, transport, school_year, sent):
    marco = child_of(parent, first_name="Marco", last_name="Rossi")
    waiting = enrollment_make(
        child=marco, service=transport, school_year=school_year, created_by=parent, status=S.WAITLISTED
    )
    draft = enrollment_make(child=marco, service=canteen, school_year=school_year, created_by=parent, status=S.DRAFT)
    request = RequestFactory().get("/")
    request.user = parent
    rendered = html.unescape(
        render_to_string(
            "enrollment/_family_enrollments.html",
            {
                "enrollment_cards": selectors.enrollment_cards_for_user(user=parent),
                "children": account_selectors.child_cards_for_user(user=parent),
            },
            request=request,
        )
    )
    assert "Giulia · Mensa scolastica 2026/2027" in rendered
    assert "Marco · Trasporto scolastico 2026/2027" in rendered
    assert "in lista d'attesa — posizione 1" in rendered
    assert reverse("enrollment:start") in rendered
    assert url("detail", waiting) in rendered
    assert url("detail", draft) in rendered
    assert "Riprendi" in rendered
    assert DETAILS not in rendered
    assert "12.345" not in rendered


@pytest.mark.django_db
def test_family_partial_without_enrollments_invites_to_enroll(parent):
    rendered = render_to_string("enrollment/_family_enrollments.html", {"enrollment_cards": [], "children": []})
    assert "Nessuna iscrizione per ora" in rendered
    assert reverse("enrollment:start") in rendered
