"""The two PDFs: the pagoPA avviso (layout texts, grouped codice avviso, amount, QR payload) and the receipt.

`notice_make` and `receipt_make` write rows directly (no platform call): the other payments tests use them too.
"""

import datetime
import shutil
import subprocess
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from payments import pagopa, pdf
from payments.models import IuvBase, PaymentNotice, PaymentOption, Receipt, ReceiptMessage
from portal import pdf as portal_pdf
from portal.mail import _ATTACHMENT_BUILDERS, attachment

pytestmark = pytest.mark.django_db

PDFTOTEXT = shutil.which("pdftotext")
PDFTOPPM = shutil.which("pdftoppm")
ZBARIMG = shutil.which("zbarimg")
CREDITOR_CF = "00000000000"


def notice_number_new(segregation_code: int = 1) -> str:
    return pagopa.notice_number(segregation_code=segregation_code, base=IuvBase.objects.create().pk)


def notice_make(
    *,
    child,
    payer,
    amount="45.50",
    causale="Ricarica mensa - Giulia Rossi",
    status=PaymentNotice.Status.ISSUED,
    instalments=(),
    service_kind="canteen",
    due_date=None,
    single=True,
) -> PaymentNotice:
    """A notice with its single payment option and, if given, instalments [(amount, due date), ...]."""
    due = due_date or timezone.localdate() + datetime.timedelta(days=30)
    notice = PaymentNotice.objects.create(
        iupd=f"{CREDITOR_CF}-{IuvBase.objects.create().pk}",
        status=status,
        purpose=PaymentNotice.Purpose.TOPUP,
        service_kind=service_kind,
        child=child,
        payer=payer,
        payer_fiscal_code=payer.codice_fiscale,
        payer_name=payer.get_full_name(),
        causale=causale,
        amount=Decimal(amount),
        due_date=due,
        platform_state=PaymentNotice.PlatformState.VALID,
    )
    if single:
        number = notice_number_new()
        PaymentOption.objects.create(
            notice=notice, iuv=number[1:], notice_number=number, amount=Decimal(amount), due_date=due
        )
    for index, (rata_amount, rata_due) in enumerate(instalments, start=1):
        number = notice_number_new()
        PaymentOption.objects.create(
            notice=notice,
            iuv=number[1:],
            notice_number=number,
            amount=Decimal(rata_amount),
            due_date=rata_due,
            instalment=index,
        )
    return notice


def receipt_make(*, notice, fee="1.20", paid_at=None, option=None) -> Receipt:
    """A receipt row as the intake would write it (without the ledger: the PDF and pages only read it)."""
    option = option or notice.options.order_by("instalment").first()
    message = ReceiptMessage.objects.create(body="{}", outcome=ReceiptMessage.Outcome.ACCEPTED)
    return Receipt.objects.create(
        receipt_id=f"token-{option.notice_number}",
        message=message,
        notice=notice,
        option=option,
        iuv=option.iuv,
        notice_number=option.notice_number,
        creditor_fiscal_code=CREDITOR_CF,
        amount=option.amount,
        fee=Decimal(fee),
        psp_id="MOCKPSP01",
        psp_name="Banca Demo S.p.A.",
        psp_fiscal_code="00000000000",
        application_date=datetime.date(2026, 3, 2),
        payment_method="CP",
        payer_fiscal_code=notice.payer_fiscal_code,
        payer_name=notice.payer_name,
        paid_at=paid_at or datetime.datetime(2026, 3, 2, 7, 5, 9, tzinfo=datetime.UTC),
    )


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(content)
    return subprocess.run(  # noqa: S603 - fixed tool, our own file
        [PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def notice(giulia, parent):
    return notice_make(child=giulia, payer=parent, amount="1234.50")


def test_notice_pdf_carries_the_avviso_modules(notice, tmp_path):
    content = pdf.notice_pdf_render(notice=notice)
    assert content.startswith(b"%PDF")
    text = pdf_text(content, tmp_path)
    number = notice.options.get().notice_number
    for expected in [
        "AVVISO DI PAGAMENTO",
        "Ricarica mensa - Giulia Rossi",
        "ENTE CREDITORE",
        "DESTINATARIO AVVISO",
        "RSSMRA85C52H501N",
        "Maria Rossi",
        "QUANTO E QUANDO PAGARE?",
        "1.234,50",
        f"entro il {notice.due_date:%d/%m/%Y}",
        "DOVE PAGARE?",
        "PAGA CON L'APP IO",
        "PAGA SUL TERRITORIO",
        "DATI PER IL PAGAMENTO",
        "Rata unica",
        pagopa.notice_number_grouped(number),
        "Inquadra il codice QR",
        CREDITOR_CF,
    ]:
        assert expected in text, expected
    assert number not in text  # always printed in groups of four


def test_notice_qr_carries_the_pagopa_payload(notice, monkeypatch):
    payloads = []
    real = pdf.qr_svg
    monkeypatch.setattr(pdf, "qr_svg", lambda payload: payloads.append(payload) or real(payload))
    pdf.notice_pdf_render(notice=notice)
    number = notice.options.get().notice_number
    assert payloads == [f"PAGOPA|002|{number}|{CREDITOR_CF}|123450"]


def test_notice_qr_decodes_with_a_scanner(notice, tmp_path):
    (tmp_path / "avviso.pdf").write_bytes(pdf.notice_pdf_render(notice=notice))
    subprocess.run(  # noqa: S603
        [PDFTOPPM, "-png", "-r", "200", "-f", "1", "-l", "1", str(tmp_path / "avviso.pdf"), str(tmp_path / "page")],
        check=True,
    )
    page = next(tmp_path.glob("page*.png"))
    decoded = subprocess.run(  # noqa: S603
        [ZBARIMG, "--raw", "-q", str(page)], capture_output=True, text=True, check=False
    ).stdout.split()
    number = notice.options.get().notice_number
    assert decoded == [f"PAGOPA|002|{number}|{CREDITOR_CF}|123450"]


def test_qr_svg_is_version_4():
    svg = pdf.qr_svg("PAGOPA|002|301000000000012373|01234567890|4550")
    assert 'viewBox="0 0 33 33"' in svg


def test_notice_with_instalments_prints_one_box_per_rata(giulia, parent, tmp_path, monkeypatch):
    due = datetime.date(2026, 9, 15)
    notice = notice_make(
        child=giulia,
        payer=parent,
        amount="300.00",
        causale="TRASPORTO SCOLASTICO A.S. 2026/27 - GIULIA ROSSI",
        instalments=[("100.00", due), ("100.00", datetime.date(2027, 1, 15)), ("100.00", datetime.date(2027, 5, 15))],
        service_kind="transport",
    )
    payloads = []
    real = pdf.qr_svg
    monkeypatch.setattr(pdf, "qr_svg", lambda payload: payloads.append(payload) or real(payload))
    text = pdf_text(pdf.notice_pdf_render(notice=notice), tmp_path)
    assert "Trasporto scolastico a.s. 2026/27 - giulia rossi" in text  # sentence case, never all caps
    assert "Puoi pagare per intero oppure in 3 rate" in text
    for n in (1, 2, 3):
        assert f"Rata {n}" in text
    for option in notice.options.all():
        assert pagopa.notice_number_grouped(option.notice_number) in text
    assert sorted(p.rsplit("|", 1)[1] for p in payloads) == ["10000", "10000", "10000", "30000"]


def test_notice_without_options_is_not_printable(giulia, parent):
    notice = notice_make(child=giulia, payer=parent, single=False)
    with pytest.raises(pdf.NoticeNotPrintableError):
        pdf.notice_pdf_render(notice=notice)


def test_notice_pdf_is_rendered_once_then_read_from_storage(notice, monkeypatch):
    first = pdf.notice_pdf_get_or_render(notice=notice)
    notice.refresh_from_db()
    assert notice.pdf.name.endswith(".pdf")

    def not_again(**kwargs):
        raise AssertionError("rendered twice")

    monkeypatch.setattr(pdf, "notice_pdf_render", not_again)
    fresh = PaymentNotice.objects.get(pk=notice.pk)
    started = time.perf_counter()
    assert pdf.notice_pdf_get_or_render(notice=fresh) == first
    assert time.perf_counter() - started < 0.05


def test_missing_stored_file_is_rendered_again(notice):
    pdf.notice_pdf_get_or_render(notice=notice)
    notice.refresh_from_db()
    notice.pdf.storage.delete(notice.pdf.name)
    assert pdf.notice_pdf_get_or_render(notice=notice).startswith(b"%PDF")


def test_repeat_download_is_much_faster_than_the_first_render(notice):
    started = time.perf_counter()
    pdf.notice_pdf_get_or_render(notice=notice)
    first = time.perf_counter() - started
    fresh = PaymentNotice.objects.get(pk=notice.pk)
    started = time.perf_counter()
    pdf.notice_pdf_get_or_render(notice=fresh)
    again = time.perf_counter() - started
    assert again * 20 <= first, (first, again)


def test_rendering_fetches_nothing_but_local_assets(notice, monkeypatch):
    """A template can never make the server fetch a URL: the fetcher refuses anything but the known files."""
    from weasyprint.urls import URLFetchingError

    fetcher = portal_pdf.local_fetcher()
    with pytest.raises(URLFetchingError):
        fetcher.fetch("http://127.0.0.1:9/logo.png")
    with pytest.raises(URLFetchingError):
        fetcher.fetch("file:///etc/passwd")
    font = portal_pdf.assets()["fonts"]["titillium_400"]
    assert font.startswith("file://")
    assert fetcher.fetch(font).read(4) == b"\x00\x01\x00\x00"  # a TrueType font


def test_receipt_pdf_carries_what_the_payer_needs(notice, tmp_path):
    receipt = receipt_make(notice=notice)
    content = pdf.receipt_pdf_render(receipt=receipt)
    assert content.startswith(b"%PDF")
    text = pdf_text(content, tmp_path)
    for expected in [
        "RICEVUTA DI PAGAMENTO",
        "Pagato con pagoPA",
        "Maria Rossi",
        "RSSMRA85C52H501N",
        "Giulia Rossi",
        "Comune di Borgo Demo",
        CREDITOR_CF,
        receipt.iuv,
        pagopa.notice_number_grouped(receipt.notice_number),
        "Banca Demo S.p.A.",
        receipt.receipt_id,
        "1.234,50",
        "1,20",
        "1.235,70",
        "02/03/2026",
        "08:05:09",  # 07:05:09 UTC is 08:05:09 in Rome
        "Ricarica mensa - Giulia Rossi",
        "Data applicativa",  # what SANP asks of the creditor's attestation (issue 12): the Nodo's date, the PSP's CF
        "C.F. 00000000000",
    ]:
        assert expected in text, expected


def test_receipt_pdf_is_stored_once(notice, monkeypatch):
    receipt = receipt_make(notice=notice)
    first = pdf.receipt_pdf_get_or_render(receipt=receipt)
    monkeypatch.setattr(pdf, "receipt_pdf_render", lambda **kwargs: pytest.fail("rendered twice"))
    assert pdf.receipt_pdf_get_or_render(receipt=Receipt.objects.get(pk=receipt.pk)) == first


def test_receipt_attachment_builder_is_registered(notice):
    pdf.register_builders()
    receipt = receipt_make(notice=notice)
    item = attachment("payments.receipt_pdf", receipt_id=receipt.pk)
    name, content_type, content = _ATTACHMENT_BUILDERS[item["builder"]](**item["kwargs"])
    assert name == f"ricevuta-{receipt.iuv}.pdf"
    assert content_type == "application/pdf"
    assert content.startswith(b"%PDF")


def test_five_instalments_leave_no_page_with_only_the_header(giulia, parent, tmp_path):
    """Issue 12: the rate boxes and their caption keep together; the due date does not wrap at 999.999,99 €."""
    base = datetime.date(2026, 9, 15)
    notice = notice_make(
        child=giulia,
        payer=parent,
        amount="999999.95",
        causale="TRASPORTO SCOLASTICO A.S. 2026/27 - GIULIA ROSSI",
        instalments=[("199999.99", base + datetime.timedelta(days=30 * i)) for i in range(5)],
        service_kind="transport",
    )
    text = pdf_text(pdf.notice_pdf_render(notice=notice), tmp_path)

    pages = [page for page in text.split("\f") if page.strip()]
    assert pages
    assert all("Codice Avviso" in page for page in pages), [page[:200] for page in pages]
    assert f"entro il {notice.due_date:%d/%m/%Y}" in text  # "entro il" and its date on one line


@pytest.mark.parametrize("count", range(1, 13))
def test_every_instalment_count_prints_each_rata_and_no_header_only_page(giulia, parent, tmp_path, count):
    """1-12 rate at the largest amounts: every rata's codice avviso printed, no page without one (issue 12); from
    9 rate the guide's "avviso con molte rate" (the shared data once, compact boxes)."""
    base = datetime.date(2026, 9, 15)
    notice = notice_make(
        child=giulia,
        payer=parent,
        amount="999999.99",
        instalments=[("999999.99", base + datetime.timedelta(days=30 * i)) for i in range(count)],
        service_kind="transport",
    )
    text = pdf_text(pdf.notice_pdf_render(notice=notice), tmp_path)
    pages = [page for page in text.split("\f") if page.strip()]
    assert all("Codice Avviso" in page for page in pages), [page[:200] for page in pages]
    for option in notice.options.all():
        assert pagopa.notice_number_grouped(option.notice_number) in text
    assert "999.999,99" in text
    many = count >= pdf.MANY_INSTALMENTS
    # the subject is printed once per rata box below 9 rate, once for them all from 9 (+ the single payment's own)
    assert text.count("Oggetto del pagamento") == (2 if many else count + 1)
    assert len(pages) <= (1 + (count + 11) // 12 if many else 1 + count)


def test_the_payers_address_is_printed_when_known(giulia, parent, tmp_path):
    parent.postal_address = "Via dei Mille 12, 00185 Roma (RM)"
    parent.save(update_fields=["postal_address"])
    notice = notice_make(child=giulia, payer=parent)
    assert "Via dei Mille 12, 00185 Roma (RM)" in pdf_text(pdf.notice_pdf_render(notice=notice), tmp_path)
