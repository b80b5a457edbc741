"""The two PDFs of payments: the pagoPA payment notice (avviso, guide v3.x layout) and the payment receipt.

Each is rendered once with WeasyPrint and kept in the model's FileField (`PaymentNotice.pdf`, `Receipt.pdf`);
later downloads read the stored file. Rendering reads only local files (the Titillium Web and Roboto Mono
fonts shipped with Bootstrap Italia, the Comune's logo): `_LocalFetcher` refuses everything else, so a
template can never make the server fetch a URL. The QR code is an inline SVG built by `qr_svg`.

Speed: the font configuration, the fetcher and the parsed print CSS are built once per thread (`_weasyprint`), and
the templates are kept lean (see the comments in `_print.css`): about half the time of a render done from
scratch. What is left is WeasyPrint's cost per box and text line of the avviso's mandatory modules.
"""

import threading
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import qrcode
from django.conf import settings
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from portal.files import field_file_get_or_make
from portal.money import to_cents
from portal.pdf import assets, html_to_pdf, weasyprint_kit

from . import pagopa
from .creditors import comune, notice_creditor
from .models import PaymentNotice, PaymentOption, Receipt

# pagoPA's avviso guide 3.0.0, "Avviso con molte rate": the variant for an avviso with at least 9 rate.
MANY_INSTALMENTS = 9

NOTICE_TEMPLATE = "payments/pdf/notice.html"
RECEIPT_TEMPLATE = "payments/pdf/receipt.html"
STYLESHEET = "payments/pdf/_print.css"  # shared by both, parsed once per thread
RECEIPT_ATTACHMENT_BUILDER = "payments.receipt_pdf"
NOTICE_ATTACHMENT_BUILDER = "payments.notice_pdf"
SUBJECT_MAX = 90  # AVVISO.OGGETTO
INFO_MAX = 100  # ENTE.INFO


# ctReceiptV2 paymentMethod codes, as a person reads them on the receipt.
PAYMENT_METHODS = {
    "CP": _("carta di pagamento"),
    "BBT": _("bonifico bancario"),
    "BP": _("bollettino postale"),
    "AD": _("addebito diretto"),
    "PO": _("pagamento presso un punto fisico"),
    "OBEP": _("home banking"),
    "MYBK": "MyBank",
    "PPAL": "PayPal",
    "JIF": "BANCOMAT Pay",
    "APPL": "Apple Pay",
    "GOOG": "Google Pay",
    "SATY": "Satispay",
}


def payment_method_label(code: str) -> str:
    label = PAYMENT_METHODS.get((code or "").upper())
    return str(label) if label else code


class NoticeNotPrintableError(Exception):
    """The notice has no payment option (no codice avviso) yet: there is nothing to print."""


# --- QR code -------------------------------------------------------------------------------------


def qr_svg(payload: str) -> str:
    """The QR code of `payload` as an inline SVG (vector, black on white, no quiet zone: the layout adds it).

    pagoPA asks for version 4 (33 x 33 modules) at error correction M; longer payloads grow the version. Each
    horizontal run of dark modules is one stroked segment ("M x y.5 h length", 1 unit wide): a third of the path
    commands of filled rectangles, which WeasyPrint parses slowly (a few ms per code).
    """
    code = qrcode.QRCode(version=4, error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    parts = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                parts.append(f"M{start} {y}.5h{x - start}")
            else:
                x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="qr" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges" role="img" aria-label="QR"><rect width="{size}" height="{size}" '
        f'fill="#fff"/><path stroke="#000" d="{"".join(parts)}"/></svg>'
    )


def option_qr_payload(option: PaymentOption, *, creditor_fiscal_code: str = "") -> str:
    return pagopa.qr_payload(
        notice_number=option.notice_number,
        creditor_fiscal_code=creditor_fiscal_code or settings.PAGOPA_CREDITOR_FISCAL_CODE,
        amount_cents=to_cents(option.amount),
    )


# --- WeasyPrint: portal.pdf (local files only, one font configuration per thread) + the parsed print CSS ----------

_CSS: dict[int, object] = {}  # thread id -> the parsed print CSS (it names the local font files)


def _print_css():
    """This thread's parsed `_print.css`, built on its first PDF: a change to it needs a restart of the process."""
    key = threading.get_ident()
    if key not in _CSS:
        from weasyprint import CSS

        font_config, fetcher = weasyprint_kit()
        css = render_to_string(STYLESHEET, {"fonts": assets()["fonts"], "logo_url": assets()["logo"]})
        _CSS[key] = CSS(string=css, font_config=font_config, url_fetcher=fetcher)
    return _CSS[key]


def _write_pdf(html: str) -> bytes:
    return html_to_pdf(html, stylesheets=[_print_css()])


def _render(template: str, context: dict) -> bytes:
    with translation.override("it"), timezone.override("Europe/Rome"):  # a document of the Comune: Italian
        html = render_to_string(template, {**context, "logo_url": assets()["logo"]})
    return _write_pdf(html)


# --- the notice (avviso di pagamento) ------------------------------------------------------------


@dataclass(frozen=True)
class PaymentBlock:
    """One way to pay, as printed: the single payment (instalment 0) or one rata."""

    instalment: int
    amount: Decimal
    due_date: date
    notice_number: str
    notice_number_grouped: str
    qr: str


def _without_scheme(url: str) -> str:
    return url.split("://", 1)[-1].rstrip("/")


def notice_subject(causale: str) -> str:
    """AVVISO.OGGETTO: the causale in sentence case (never all caps), at most 90 characters."""
    text = " ".join((causale or "").split())
    if text.isupper():
        text = text.lower()
    text = text[:1].upper() + text[1:]
    return text if len(text) <= SUBJECT_MAX else text[: SUBJECT_MAX - 1].rstrip() + "…"


def creditor_info(notice: PaymentNotice | None = None) -> dict:
    """The creditor as the notice prints it: the Comune, or the school whose notice it is."""
    creditor = notice_creditor(notice) if notice is not None else comune()
    info = " · ".join(
        part for part in [_without_scheme(settings.PORTAL_COMUNE_WEBSITE), settings.PORTAL_COMUNE_EMAIL] if part
    )
    return {
        "name": creditor.name[:50],
        "fiscal_code": creditor.fiscal_code,
        "office": creditor.office[:50],
        "info": info[:INFO_MAX],
        "cbill": (settings.PAGOPA_CBILL or "").upper(),
    }


def _block(option: PaymentOption, creditor_fiscal_code: str = "") -> PaymentBlock:
    return PaymentBlock(
        instalment=option.instalment,
        amount=option.amount,
        due_date=option.due_date,
        notice_number=option.notice_number,
        notice_number_grouped=pagopa.notice_number_grouped(option.notice_number),
        qr=mark_safe(qr_svg(option_qr_payload(option, creditor_fiscal_code=creditor_fiscal_code))),  # noqa: S308 - built here from digits only
    )


def notice_pdf_context(*, notice: PaymentNotice) -> dict:
    options = sorted(notice.options.all(), key=lambda option: option.instalment)
    if not options:
        raise NoticeNotPrintableError(f"notice {notice.pk} has no payment option")
    creditor = creditor_info(notice)
    single = next((_block(option, creditor["fiscal_code"]) for option in options if option.instalment == 0), None)
    instalments = [_block(option, creditor["fiscal_code"]) for option in options if option.instalment > 0]
    # From MANY_INSTALMENTS rate, the guide's "avviso con molte rate": compact boxes, three per row, the data shared by
    # every rata printed once above them; below, rate 2 or 3 per row, the same layout on every row.
    many = len(instalments) >= MANY_INSTALMENTS
    per_row = 3 if many or len(instalments) % 3 == 0 else 2
    return {
        "notice": notice,
        "subject": notice_subject(notice.causale),
        "creditor": creditor,
        "payer": {
            "fiscal_code": notice.payer_fiscal_code.upper(),
            "name": notice.payer_name[:70],
            "address": (notice.payer.postal_address if notice.payer else "")[:140],
        },
        "single": single,
        "instalments": instalments,
        # rows of equal width: the last one padded with empty cells
        "instalment_rows": [
            (instalments[i : i + per_row] + [None] * per_row)[:per_row] for i in range(0, len(instalments), per_row)
        ],
        "per_row": per_row,
        "many": many,
        # "entro il" of the whole notice: the single payment's due date, else the first rata's
        "due_date": single.due_date if single else instalments[0].due_date,
        "amount": single.amount if single else sum((block.amount for block in instalments), Decimal("0.00")),
    }


def notice_pdf_render(*, notice: PaymentNotice) -> bytes:
    """The avviso di pagamento of `notice` as PDF bytes (A4, pagoPA guide v3 layout)."""
    return _render(NOTICE_TEMPLATE, notice_pdf_context(notice=notice))


def notice_pdf_filename(notice: PaymentNotice) -> str:
    """avviso-<codice avviso of the single payment (or of the first rata)>.pdf"""
    first = min(notice.options.all(), key=lambda option: option.instalment)
    return f"avviso-{first.notice_number}.pdf"


def notice_pdf_attachment(*, notice_id: int) -> tuple[str, str, bytes]:
    """Attachment builder "payments.notice_pdf": the avviso of the notice whose primary key is `notice_id`."""
    notice = PaymentNotice.objects.prefetch_related("options").get(pk=notice_id)
    return notice_pdf_filename(notice), "application/pdf", notice_pdf_get_or_render(notice=notice)


def notice_pdf_get_or_render(*, notice: PaymentNotice) -> bytes:
    """The stored avviso PDF; rendered and stored on first use (and if the stored file went missing)."""

    def render() -> bytes:
        prefetch_related_objects([notice], "options")  # one query for the context's options
        return notice_pdf_render(notice=notice)

    return field_file_get_or_make(instance=notice, field="pdf", name="avviso.pdf", make=render)


# --- the receipt -----------------------------------------------------------------------------------


def receipt_pdf_context(*, receipt: Receipt) -> dict:
    notice = receipt.notice
    return {
        "receipt": receipt,
        "notice": notice,
        "child": notice.child,
        "creditor": creditor_info(notice),
        "creditor_fiscal_code": receipt.creditor_fiscal_code or settings.PAGOPA_CREDITOR_FISCAL_CODE,
        "payer_name": receipt.payer_name or notice.payer_name,
        "payer_fiscal_code": (receipt.payer_fiscal_code or notice.payer_fiscal_code).upper(),
        "notice_number_grouped": pagopa.notice_number_grouped(receipt.notice_number),
        "total": receipt.amount + (receipt.fee or Decimal("0.00")),
        "payment_method": payment_method_label(receipt.payment_method),
        "issued_at": timezone.now(),
    }


def receipt_pdf_render(*, receipt: Receipt) -> bytes:
    """The payer's receipt (attestazione di pagamento) as PDF bytes."""
    return _render(RECEIPT_TEMPLATE, receipt_pdf_context(receipt=receipt))


def receipt_pdf_get_or_render(*, receipt: Receipt) -> bytes:
    return field_file_get_or_make(
        instance=receipt, field="pdf", name="ricevuta.pdf", make=lambda: receipt_pdf_render(receipt=receipt)
    )


def receipt_pdf_filename(receipt: Receipt) -> str:
    return f"ricevuta-{receipt.iuv}.pdf"


def receipt_pdf_attachment(*, receipt_id: int) -> tuple[str, str, bytes]:
    """Attachment builder "payments.receipt_pdf": `receipt_id` is the Receipt's primary key."""
    receipt = Receipt.objects.select_related("notice__child").get(pk=receipt_id)
    return receipt_pdf_filename(receipt), "application/pdf", receipt_pdf_get_or_render(receipt=receipt)


def register_builders() -> None:
    """Called from PaymentsConfig.ready(): the e-mail outbox builds receipt and notice attachments at delivery."""
    from portal.mail import register_attachment_builder

    register_attachment_builder(RECEIPT_ATTACHMENT_BUILDER, receipt_pdf_attachment)
    register_attachment_builder(NOTICE_ATTACHMENT_BUILDER, notice_pdf_attachment)
