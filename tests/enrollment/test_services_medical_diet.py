"""The medical diet of a draft: details, certificate (PDF or JPEG, at most 5 MB), removal."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from enrollment import services
from enrollment.errors import (
    CertificateError,
    InvalidChoiceError,
)
from enrollment.models import Enrollment, MedicalDiet

from .helpers import JPEG, PDF, PNG

# --- medical diet --------------------------------------------------------------------------------------------------


def test_medical_diet_with_a_pdf_certificate(draft, parent, settings):
    certificate = SimpleUploadedFile("certificato Giulia.pdf", PDF, content_type="application/pdf")
    diet = services.enrollment_medical_diet_set(
        enrollment=draft, user=parent, details="Allergia alle arachidi", certificate=certificate
    )
    draft.refresh_from_db()
    assert draft.diet == Enrollment.Diet.MEDICAL
    assert diet.details == "Allergia alle arachidi"
    assert diet.certificate_name == "certificato Giulia.pdf"
    assert re.fullmatch(r"health/\d{4}/[0-9a-f]{32}\.pdf", diet.certificate.name)
    assert diet.certificate.read() == PDF


def test_medical_diet_with_a_jpeg_certificate(draft, parent):
    certificate = SimpleUploadedFile("foto.png", JPEG, content_type="image/png")  # the bytes decide, not the name
    diet = services.enrollment_medical_diet_set(
        enrollment=draft, user=parent, details="Celiachia", certificate=certificate
    )
    assert diet.certificate.name.endswith(".jpg")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (PNG, "PDF o una foto JPEG"),
        (b"MZ\x90\x00 not a pdf", "PDF o una foto JPEG"),
        (b"", "PDF o una foto JPEG"),
        (PDF + b"\x00" * (5 * 1024 * 1024 + 1 - len(PDF)), "troppo grande"),
    ],
    ids=["png", "exe", "empty", "5mb-plus-1"],
)
def test_certificate_not_pdf_or_jpeg_or_too_large_is_refused(draft, parent, content, message):
    certificate = SimpleUploadedFile("certificato.pdf", content, content_type="application/pdf")
    with pytest.raises(CertificateError, match=message) as error:
        services.enrollment_medical_diet_set(
            enrollment=draft, user=parent, details="Celiachia", certificate=certificate
        )
    assert error.value.field == "certificate"
    assert not MedicalDiet.objects.exists()
    draft.refresh_from_db()
    assert draft.diet == Enrollment.Diet.NONE


def test_certificate_of_exactly_5_mb_is_accepted(draft, parent):
    content = PDF + b"\x00" * (5 * 1024 * 1024 - len(PDF))
    certificate = SimpleUploadedFile("certificato.pdf", content, content_type="application/pdf")
    assert services.enrollment_medical_diet_set(enrollment=draft, user=parent, details="x", certificate=certificate)


def test_medical_details_are_required(draft, parent):
    with pytest.raises(InvalidChoiceError) as error:
        services.enrollment_medical_diet_set(enrollment=draft, user=parent, details="  ")
    assert error.value.field == "details"


def test_leaving_the_medical_diet_deletes_the_details(draft, parent):
    services.enrollment_medical_diet_set(enrollment=draft, user=parent, details="Celiachia")
    services.enrollment_draft_update(enrollment=draft, user=parent, step="diet", data={"diet": "vegetarian"})
    assert not MedicalDiet.objects.exists()
