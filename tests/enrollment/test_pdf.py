"""The enrollment receipt: a real PDF, what it says, and what it must never say (health data, the ISEE value)."""

import subprocess

import pytest
from django.urls import reverse

from enrollment import pdf, services
from enrollment.models import Enrollment, MedicalDiet
from portal import mail

from .factories import enrollment_make

DETAILS = "Celiachia: nessun alimento con glutine"


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "receipt.pdf"
    path.write_bytes(data)
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60)  # noqa: S603, S607
    return result.stdout.decode()


@pytest.fixture
def canteen_sent(parent, giulia, canteen, school_year, school, school_class):
    enrollment = enrollment_make(
        child=giulia,
        service=canteen,
        school_year=school_year,
        school=school,
        school_class=school_class,
        created_by=parent,
        protocol="ISC-2026-000042",
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
    MedicalDiet.objects.create(enrollment=enrollment, details=DETAILS, certificate_name="certificato-celiachia.pdf")
    return enrollment


@pytest.mark.django_db
def test_receipt_says_what_was_enrolled_and_hides_health_data_and_isee(canteen_sent, tmp_path):
    data = pdf.enrollment_receipt_render(enrollment=canteen_sent)
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    flat = " ".join(text.split())
    assert "Ricevuta di iscrizione" in flat
    assert "ISC-2026-000042" in flat
    assert "Giulia Rossi" in flat
    assert "RSSGLI18C52H501V" in flat
    assert "Mensa scolastica" in flat
    assert "2026/2027" in flat
    assert "Scuola primaria Gianni Rodari" in flat
    assert "3A" in flat
    assert "Dieta speciale richiesta" in flat
    assert "ISEE presentato" in flat
    assert "3,50 €" in flat
    assert "Fascia ISEE da 7.500,00 € a 15.000,00 €" in flat
    assert "Comune di" in flat
    for secret in (DETAILS, "Celiachia", "glutine", "certificato-celiachia", "salute", "medica"):
        assert secret not in flat, secret
    for isee in ("12.345,67", "12345,67", "12345.67", "12.345", "INPS-ISEE-2026-12345678A-00"):
        assert isee not in flat, isee


@pytest.mark.django_db
def test_receipt_of_a_transport_enrollment_has_route_stop_and_direction(
    parent, giulia, transport, school_year, school, route, tmp_path
):
    stop = route.stops.get(order=2)
    enrollment = enrollment_make(
        child=giulia,
        service=transport,
        school_year=school_year,
        school=school,
        created_by=parent,
        route=route,
        stop=stop,
        direction=Enrollment.Direction.OUTBOUND,
        isee_presented=False,
        diet=Enrollment.Diet.NONE,
        tariff_amount="300.00",
        tariff_steps=[{"code": "no_isee", "amount": "300.00"}, {"code": "total", "amount": "300.00"}],
    )
    flat = " ".join(pdf_text(pdf.enrollment_receipt_render(enrollment=enrollment), tmp_path).split())
    assert "Linea 1" in flat
    assert "Via Verdi" in flat
    assert "Solo andata" in flat
    assert "andata 07:40" in flat
    assert "ISEE non presentato" in flat
    assert "300,00 € all'anno" in flat
    assert "Dieta" not in flat  # no meals on the bus


@pytest.mark.django_db
def test_receipt_download(parent_client, canteen_sent):
    response = parent_client.get(reverse("enrollment:receipt_pdf", kwargs={"pk": canteen_sent.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="ricevuta-iscrizione-ISC-2026-000042.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")


def test_the_receipt_builder_is_registered_when_the_app_starts():
    """EnrollmentConfig.ready() calls pdf.register_builders(): the confirmation e-mail gets its attachment."""
    assert mail._ATTACHMENT_BUILDERS.get(services.RECEIPT_ATTACHMENT) is pdf.enrollment_receipt_attachment


def test_register_builders_registers_the_receipt(monkeypatch):
    monkeypatch.setattr(mail, "_ATTACHMENT_BUILDERS", {})
    pdf.register_builders()
    registered = mail._ATTACHMENT_BUILDERS
    assert registered == {services.RECEIPT_ATTACHMENT: pdf.enrollment_receipt_attachment}


@pytest.mark.django_db
def test_the_attachment_builder_is_the_one_the_submission_attaches(canteen_sent):
    assert pdf.BUILDER == services.RECEIPT_ATTACHMENT
    filename, content_type, data = pdf.enrollment_receipt_attachment(enrollment_id=canteen_sent.pk)
    assert filename == "ricevuta-iscrizione-ISC-2026-000042.pdf"
    assert content_type == "application/pdf"
    assert data.startswith(b"%PDF")
