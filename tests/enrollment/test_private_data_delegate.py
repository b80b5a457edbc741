"""A delegate does not get the child's medical details, certificate, ISEE value or DSU protocol (issue 11, item 5):
only the adult who sent the enrollment (for a draft: who started it) and the child's adult of reference do. One
rule (`selectors.enrollment_private_data_rule`) for the data export, the enrollment's page and the wizard."""

import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Guardianship
from enrollment import services
from enrollment.models import Enrollment, MedicalDiet
from tests.conftest import make_user

from .factories import draft_ready
from .helpers import DETAILS, PDF, page_text, post_step, step_url

pytestmark = pytest.mark.django_db

ISEE = Decimal("9800.00")
SHOWN_AMOUNT = "9.800,00"
DSU = "INPS-ISEE-2026-87654321B-07"  # not the example in the form's help text
CERTIFICATE_NAME = "certificato-celiachia-giulia.pdf"
PRIVATE_KEYS = {"isee_valore", "isee_protocollo_dsu", "isee_scadenza", "dieta_medica_indicazioni"}


def _delegate(user, child) -> None:
    Guardianship.objects.create(adult=user, child=child, role=Guardianship.Role.DELEGATE)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _draft_with_private_data(*, user, child, service, school_year, school, school_class) -> Enrollment:
    draft = draft_ready(
        user=user,
        child=child,
        service=service,
        school_year=school_year,
        school=school,
        school_class=school_class,
        isee=ISEE,
    )
    services.enrollment_draft_update(enrollment=draft, user=user, step="isee", data={"isee_protocol": DSU})
    certificate = SimpleUploadedFile(CERTIFICATE_NAME, PDF, content_type="application/pdf")
    services.enrollment_medical_diet_set(enrollment=draft, user=user, details=DETAILS, certificate=certificate)
    draft.refresh_from_db()
    return draft


def _sent(*, by, **where) -> Enrollment:
    draft = _draft_with_private_data(user=by, **where)
    return services.enrollment_submit(enrollment=draft, user=by, declarations=True)


def _export(user) -> tuple[str, list[dict]]:
    """The raw dati.json of the user's export (through the privacy centre) and its enrollment rows."""
    response = _signed_in(user).get(reverse("accounts:privacy_export"))
    assert response.status_code == 200
    raw = zipfile.ZipFile(io.BytesIO(response.content)).read("dati.json").decode()
    return raw, json.loads(raw)["sezioni"]["iscrizioni"]


@pytest.fixture
def where(giulia, open_windows, canteen, school_year, school, school_class):
    return {
        "child": giulia,
        "service": canteen,
        "school_year": school_year,
        "school": school,
        "school_class": school_class,
    }


@pytest.fixture
def third_adult(legal_documents):
    return make_user(
        codice_fiscale="VRDPLA80D10H501X",
        email="paolo.verdi@example.it",
        first_name="Paolo",
        last_name="Verdi",
        documents=legal_documents,
    )


def test_the_export_gives_them_to_the_reference_adult_and_the_sender_never_to_another_delegate(
    parent, other_parent, third_adult, giulia, where
):
    _delegate(other_parent, giulia)
    _delegate(third_adult, giulia)
    enrollment = _sent(by=parent, **where)

    raw, rows = _export(parent)  # the reference adult: everything
    (row,) = rows
    assert row["isee_valore"] == "9800.00"
    assert row["isee_protocollo_dsu"] == DSU
    assert row["dieta_medica_indicazioni"] == DETAILS
    assert row["dieta_medica_certificato"] is True

    raw, rows = _export(other_parent)  # a delegate who did not send it: none of it
    (row,) = rows
    assert row["protocollo"] == enrollment.protocol
    assert row["isee_presentato"] is True  # that an ISEE was presented is not private
    assert not PRIVATE_KEYS & set(row)
    assert "dieta_medica_certificato" not in row
    assert "adulto di riferimento" in row["dati_riservati"]
    for secret in ("9800", DSU, DETAILS, CERTIFICATE_NAME):
        assert secret not in raw, secret


def test_a_delegate_who_sent_the_enrollment_gets_them_and_the_other_delegate_does_not(
    parent, other_parent, third_adult, giulia, where
):
    _delegate(other_parent, giulia)
    _delegate(third_adult, giulia)
    _sent(by=other_parent, **where)

    for adult in (other_parent, parent):  # who sent it, and the reference adult
        _raw, (row,) = _export(adult)
        assert row["isee_valore"] == "9800.00", adult
        assert row["dieta_medica_indicazioni"] == DETAILS, adult

    raw, (row,) = _export(third_adult)
    assert not PRIVATE_KEYS & set(row)
    assert DETAILS not in raw
    assert DSU not in raw


def test_the_enrollment_page_hides_the_isee_value_from_a_delegate(parent, other_parent, giulia, where):
    _delegate(other_parent, giulia)
    enrollment = _sent(by=parent, **where)
    url = reverse("enrollment:detail", kwargs={"pk": enrollment.pk})

    reference_page = page_text(_signed_in(parent).get(url))
    assert f"Presentato: {SHOWN_AMOUNT} €" in reference_page

    response = _signed_in(other_parent).get(url)
    assert response.status_code == 200
    delegate_page = page_text(response)
    assert enrollment.protocol in delegate_page
    assert "Presentato" in delegate_page
    assert "visibile solo all'adulto che ha inviato la domanda e all'adulto di riferimento" in delegate_page
    for secret in (SHOWN_AMOUNT, "9800", DSU, DETAILS, CERTIFICATE_NAME):
        assert secret not in delegate_page, secret


def test_the_wizard_shows_a_delegate_none_of_it_and_keeps_it_when_left_empty(parent, other_parent, giulia, where):
    _delegate(other_parent, giulia)
    draft = _draft_with_private_data(user=parent, **where)  # started and filled by the reference adult
    delegate = _signed_in(other_parent)

    for slug in ("isee", "dieta", "riepilogo"):
        response = delegate.get(step_url(draft, slug))
        assert response.status_code == 200, slug
        text = page_text(response)
        for secret in ("9800", SHOWN_AMOUNT, DSU, DETAILS, CERTIFICATE_NAME):
            assert secret not in text, (slug, secret)
    assert "già stato inserito da un altro adulto" in page_text(delegate.get(step_url(draft, "isee")))
    assert "già stato caricato da un altro adulto" in page_text(delegate.get(step_url(draft, "dieta")))

    # going through the pages without retyping keeps what the reference adult entered
    post_step(delegate, draft, "isee", {"presented": "si"}, expect_next="dieta")
    post_step(delegate, draft, "dieta", {"diet": "medical"}, expect_next="riepilogo")
    draft.refresh_from_db()
    assert draft.isee_amount == ISEE
    assert draft.isee_protocol == DSU
    medical = MedicalDiet.objects.get(enrollment=draft)
    assert medical.details == DETAILS
    assert medical.certificate_name == CERTIFICATE_NAME

    # the reference adult still sees all of it
    reference = _signed_in(parent)
    assert DSU in page_text(reference.get(step_url(draft, "riepilogo")))
    assert DETAILS in page_text(reference.get(step_url(draft, "dieta")))
    assert CERTIFICATE_NAME in page_text(reference.get(step_url(draft, "dieta")))

    # half the data typed over a hidden ISEE: the usual errors, nothing saved; all of it: replaced
    response = post_step(delegate, draft, "isee", {"presented": "si", "amount": "12.000,00"})
    assert response.status_code == 200
    assert "Scrivi la data di scadenza" in page_text(response)
    data = {"presented": "si", "amount": "12.000,00", "protocol": DSU, "expires_on": "2027-12-31"}
    post_step(delegate, draft, "isee", data, expect_next="dieta")
    draft.refresh_from_db()
    assert draft.isee_amount == Decimal("12000.00")
