"""The PDF statement of a child's canteen account (WeasyPrint, local fonts only), in Italian: a document of the
Comune."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from portal.pdf import assets, html_to_pdf

from .statement import MealsPage


def statement_pdf(*, page: MealsPage) -> bytes:
    with translation.override("it"), timezone.override("Europe/Rome"):
        html = render_to_string(
            "canteen/pdf/statement.html",
            {
                "page": page,
                "child": page.child,
                "lines": list(reversed(page.lines)),
                "fonts": assets()["fonts"],
                "logo_url": assets()["logo"],
                "comune": settings.PORTAL_COMUNE_NAME,
                "printed_at": timezone.now(),
            },
        )
    return html_to_pdf(html)
