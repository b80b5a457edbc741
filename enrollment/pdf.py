"""The enrollment receipt: one A4 page the parent downloads, or receives attached to the confirmation e-mail.

What the receipt leaves out, on purpose:
- health data: a medical diet, its details and its certificate are special-category data of a minor (GDPR
  art. 9); an ethical or religious diet reveals beliefs, which are special-category data too. The receipt says
  only "Dieta speciale richiesta" and the office's decision on it.
- the ISEE value: the receipt travels by e-mail (it is attached to the confirmation through the outbox, and
  e-mails never carry ISEE), gets printed and handed to schools or operators, who have no business knowing a
  family's income. "ISEE presentato" / "non presentato" is enough to read the tariff; the value stays in the
  portal, where the parent and the office see it. The tariff explanation never contains the value either: its
  steps name the band's bounds (which the amount reveals anyway), not the family's ISEE (tests check both).
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from portal.mail import register_attachment_builder
from portal.pdf import assets, comune_place, html_to_pdf

from . import tariffs
from .models import Enrollment, Service, ServiceKind

TEMPLATE = "enrollment/pdf/enrollment_receipt.html"
BUILDER = "enrollment.receipt_pdf"  # the name enrollment_submit attaches (services.RECEIPT_ATTACHMENT)
DIET_SERVICES = (ServiceKind.CANTEEN, ServiceKind.NURSERY)  # the services that serve meals


def enrollment_receipt_render(*, enrollment: Enrollment) -> bytes:
    """The receipt of a submitted enrollment as PDF bytes (A4, in the Comune's language)."""
    enrollment = Enrollment.objects.select_related(
        "child", "service", "school_year", "school", "school_class", "route", "stop", "submitted_by"
    ).get(pk=enrollment.pk)
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "enrollment": enrollment,
            "is_transport": enrollment.service.kind == "transport",
            "has_diet": enrollment.service.kind in DIET_SERVICES,
            "special_diet": enrollment.diet != Enrollment.Diet.NONE,
            "explanation": tariffs.tariff_explain(enrollment.tariff_steps or [], enrollment.service.unit),
            "unit": Service.Unit(enrollment.service.unit).label,
            "comune": {
                "name": settings.PORTAL_COMUNE_NAME,
                "address": settings.PORTAL_COMUNE_ADDRESS,
                "email": settings.PORTAL_COMUNE_EMAIL,
            },
            "place": comune_place(settings.PORTAL_COMUNE_NAME),
            "printed_at": timezone.localtime(),
            "logo_url": assets()["logo"],
            "fonts": assets()["fonts"],
        }
        html = render_to_string(TEMPLATE, context)
    return html_to_pdf(html)


def receipt_filename(enrollment: Enrollment) -> str:
    return f"ricevuta-iscrizione-{enrollment.protocol or enrollment.pk}.pdf".replace("/", "-")


def enrollment_receipt_attachment(*, enrollment_id: int) -> tuple[str, str, bytes]:
    """The outbox builder: (filename, content type, bytes), rendered when the e-mail is delivered."""
    enrollment = Enrollment.objects.get(pk=enrollment_id)
    return receipt_filename(enrollment), "application/pdf", enrollment_receipt_render(enrollment=enrollment)


def register_builders() -> None:
    """Called from EnrollmentConfig.ready(): the e-mail attachments this module builds."""
    register_attachment_builder(BUILDER, enrollment_receipt_attachment)
