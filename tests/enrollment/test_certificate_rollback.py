"""A certificate written before a rolled-back save does not stay on disk; a replaced one goes after the commit
(issue 11, item 5). The file is written before the row that names it is committed: `portal.files` deletes it when
that transaction, or the caller's, rolls back."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from enrollment import services
from enrollment.errors import InvalidChoiceError
from enrollment.models import Enrollment, MedicalDiet

from .helpers import DETAILS, JPEG, PDF, post_step, step_url


def media_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def pdf_upload(name: str = "certificato.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


class Boom(Exception):
    pass


def _fail_after_the_file_is_written(monkeypatch) -> None:
    """The row's save fails: by then the service has written the certificate to storage."""

    def save(self, *args, **kwargs):
        assert self.certificate.storage.exists(self.certificate.name)  # the file is on disk at this point
        raise Boom

    monkeypatch.setattr(MedicalDiet, "save", save)


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_the_file_is_written_leaves_no_file_and_no_row(draft, parent, settings, monkeypatch):
    """Real transactions (no test wrapper): the service's own transaction rolls back."""
    _fail_after_the_file_is_written(monkeypatch)
    with pytest.raises(Boom):
        services.enrollment_medical_diet_set(enrollment=draft, user=parent, details=DETAILS, certificate=pdf_upload())
    assert media_files(settings) == []
    assert not MedicalDiet.objects.exists()
    draft.refresh_from_db()
    assert draft.diet == Enrollment.Diet.NONE


@pytest.mark.django_db
def test_a_failure_inside_the_callers_savepoint_leaves_no_file(draft, parent, settings, monkeypatch):
    _fail_after_the_file_is_written(monkeypatch)
    with pytest.raises(Boom), transaction.atomic():
        services.enrollment_medical_diet_set(enrollment=draft, user=parent, details=DETAILS, certificate=pdf_upload())
    assert media_files(settings) == []
    assert not MedicalDiet.objects.exists()


def _set_in_a_transaction_that_rolls_back(**kwargs) -> None:
    """The service returns; then the caller's transaction fails and rolls back."""
    with transaction.atomic():
        diet = services.enrollment_medical_diet_set(**kwargs)
        assert diet.certificate.storage.exists(diet.certificate.name)
        raise Boom


@pytest.mark.django_db(transaction=True)
def test_the_callers_rollback_after_the_service_returned_removes_the_file(draft, parent, settings):
    with pytest.raises(Boom):
        _set_in_a_transaction_that_rolls_back(enrollment=draft, user=parent, details=DETAILS, certificate=pdf_upload())
    assert media_files(settings) == []
    assert not MedicalDiet.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_replaced_certificate_goes_after_the_commit_and_stays_after_a_rollback(draft, parent, settings):
    first = services.enrollment_medical_diet_set(
        enrollment=draft, user=parent, details=DETAILS, certificate=pdf_upload()
    )
    assert media_files(settings) == [first.certificate.name]

    with pytest.raises(Boom):  # a replacement rolled back: the old file stays, the new goes
        _set_in_a_transaction_that_rolls_back(
            enrollment=draft, user=parent, details="altro", certificate=pdf_upload("foto.jpg", JPEG)
        )
    assert media_files(settings) == [first.certificate.name]
    assert MedicalDiet.objects.get().details == DETAILS

    with transaction.atomic():  # a replacement committed: the old file goes, but only after the commit
        second = services.enrollment_medical_diet_set(
            enrollment=draft, user=parent, details=DETAILS, certificate=pdf_upload("foto.jpg", JPEG)
        )
        assert media_files(settings) == sorted([first.certificate.name, second.certificate.name])
    assert media_files(settings) == [second.certificate.name]
    assert MedicalDiet.objects.get().certificate.name == second.certificate.name


@pytest.mark.django_db
def test_the_wizard_diet_step_refused_after_the_upload_leaves_no_file(at_diet, parent_client, settings, monkeypatch):
    """The diet page saves the medical diet, then the diet answer, in one transaction: the second is refused."""

    def refuse(**kwargs):
        raise InvalidChoiceError("Scelta non valida, riprova.", field="diet")

    monkeypatch.setattr(services, "enrollment_draft_update", refuse)
    data = {"diet": "medical", "medical_details": DETAILS, "certificate": pdf_upload()}
    response = post_step(parent_client, at_diet, "dieta", data)
    assert response.status_code == 200
    assert "Scelta non valida, riprova." in response.content.decode()
    assert media_files(settings) == []
    assert not MedicalDiet.objects.exists()
    assert parent_client.get(step_url(at_diet, "dieta")).status_code == 200
