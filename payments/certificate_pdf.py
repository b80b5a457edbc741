"""The tax certificate as PDF (WeasyPrint, local fonts only), in Italian: a document of the Comune, stored once."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from portal.files import field_file_get_or_make
from portal.pdf import assets, html_to_pdf

from .models import TaxCertificate
from .services.notify import portal_url

TEMPLATE = "payments/pdf/certificate.html"


def certificate_pdf_render(*, certificate: TaxCertificate) -> bytes:
    child = certificate.child
    with translation.override("it"), timezone.override("Europe/Rome"):
        html = render_to_string(
            TEMPLATE,
            {
                "certificate": certificate,
                "child": child,
                "lines": certificate.lines,
                "fonts": assets()["fonts"],
                "logo_url": assets()["logo"],
                "comune": certificate.creditor_name or settings.PORTAL_COMUNE_NAME,
                "comune_fiscal_code": certificate.creditor_fiscal_code or settings.PAGOPA_CREDITOR_FISCAL_CODE,
                "is_school": bool(certificate.creditor_fiscal_code)
                and certificate.creditor_fiscal_code != settings.PAGOPA_CREDITOR_FISCAL_CODE,
                "verify_url": portal_url(reverse("payments:certificate_verify")),
                "has_third_party": any(line.get("third_party") for line in certificate.lines),
            },
        )
    return html_to_pdf(html)


def certificate_pdf_get_or_render(*, certificate: TaxCertificate) -> bytes:
    """The stored PDF (the worker renders it after the issue: `certificate_pdf_task`); rendered here only when a
    download comes before the worker, or the stored file went missing."""
    return field_file_get_or_make(
        instance=certificate,
        field="pdf",
        name="attestazione.pdf",
        make=lambda: certificate_pdf_render(certificate=certificate),
    )


def certificate_pdf_filename(certificate: TaxCertificate) -> str:
    return f"attestazione-{certificate.year}-{certificate.child.codice_fiscale}-{certificate.holder_fiscal_code}.pdf"
