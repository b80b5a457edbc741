"""Notice and receipt PDFs are stored under names nobody can guess, and reach a person only through the scoped views
(issue 11, item 5: notice PDFs had guessable names, `avviso-<codice avviso>.pdf`)."""

import re
from pathlib import PurePosixPath

import pytest
from django.test import Client
from django.urls import reverse

from payments import pdf
from payments.models import PaymentNotice, Receipt
from portal.files import RandomFileName
from tests.payments.test_pdf import notice_make, receipt_make

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}\.pdf$")  # 32 random bytes, URL-safe


def _identifiers(notice: PaymentNotice) -> list[str]:
    """What a name must not reveal: IUV, codice avviso, IUPD, the payer's CF (the token format rules out the id)."""
    values = [notice.iupd, notice.payer_fiscal_code]
    for option in notice.options.all():
        values += [option.notice_number, option.iuv]
    return [value for value in values if value]


def _stem(name: str) -> str:
    return PurePosixPath(name).stem


def test_two_notices_pdfs_have_random_names_that_reveal_nothing(parent, giulia):
    notices = [notice_make(child=giulia, payer=parent) for _ in range(2)]
    names = []
    for notice in notices:
        pdf.notice_pdf_get_or_render(notice=notice)
        notice.refresh_from_db()
        name = notice.pdf.name
        names.append(name)
        basename = PurePosixPath(name).name
        assert TOKEN.match(basename), name
        for identifier in _identifiers(notice):
            assert identifier not in basename, (identifier, name)
        assert name.startswith("notices/")
    first, second = (_stem(name) for name in names)
    assert first != second
    # not predictable from each other: no shared prefix or suffix longer than chance allows
    assert first[:6] != second[:6]
    assert first[-6:] != second[-6:]


def test_receipt_pdfs_have_random_names(parent, giulia):
    receipts = [receipt_make(notice=notice_make(child=giulia, payer=parent)) for _ in range(2)]
    stems = []
    for receipt in receipts:
        pdf.receipt_pdf_get_or_render(receipt=receipt)
        receipt = Receipt.objects.get(pk=receipt.pk)
        basename = PurePosixPath(receipt.pdf.name).name
        assert TOKEN.match(basename), receipt.pdf.name
        assert receipt.iuv not in basename
        assert receipt.notice_number not in basename
        assert receipt.receipt_id not in basename
        stems.append(_stem(basename))
    assert stems[0] != stems[1]


def test_the_pdf_reaches_its_family_only_through_the_scoped_view(
    parent_client, parent, giulia, other_parent, settings
):
    notice = notice_make(child=giulia, payer=parent)
    receipt = receipt_make(notice=notice)
    notice_url = reverse("payments:notice_pdf", kwargs={"pk": notice.pk})
    receipt_url = reverse("payments:receipt_pdf", kwargs={"pk": receipt.pk})
    assert parent_client.get(notice_url).status_code == 200
    assert parent_client.get(receipt_url).status_code == 200
    notice.refresh_from_db()
    receipt.refresh_from_db()
    assert TOKEN.match(PurePosixPath(notice.pdf.name).name), notice.pdf.name
    # the download keeps its readable name: it comes from the view, not from storage
    number = notice.options.get().notice_number
    assert parent_client.get(notice_url)["Content-Disposition"] == f'attachment; filename="avviso-{number}.pdf"'

    stranger = Client()
    stranger.force_login(other_parent)  # a parent of another family
    assert stranger.get(notice_url).status_code == 404
    assert stranger.get(receipt_url).status_code == 404
    for name in (notice.pdf.name, receipt.pdf.name):  # storage is never served, signed in or not
        assert stranger.get(settings.MEDIA_URL + name).status_code == 404
        assert Client().get(settings.MEDIA_URL + name).status_code == 404


def test_random_file_name_keeps_the_folder_and_extension_and_deconstructs():
    upload_to = RandomFileName("notices", ".pdf")
    name = upload_to(None, "avviso-301000000000012345.pdf")
    assert name.startswith("notices/")
    assert name.endswith(".pdf")
    assert "301000000000012345" not in name
    assert upload_to(None, "x.pdf") != upload_to(None, "x.pdf")
    path, args, kwargs = upload_to.deconstruct()
    assert path == "portal.files.RandomFileName"
    assert RandomFileName(*args, **kwargs) == upload_to
    assert RandomFileName("health")(None, "Certificato.JPG").endswith(".jpg")
