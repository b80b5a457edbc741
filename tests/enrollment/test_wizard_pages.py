"""The wizard's ISEE and diet pages: what is accepted, what is refused and explained."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from enrollment.models import Enrollment, MedicalDiet

from .helpers import DETAILS, DSU, JPEG, PDF, PNG, page_text, post_step, step_url

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
