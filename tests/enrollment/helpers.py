"""Helpers the enrollment tests share: file heads, the outbox, the wizard's pages through the client, the admin."""

import html
from zoneinfo import ZoneInfo

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.messages import get_messages
from django.urls import reverse

from enrollment import services
from enrollment.models import Enrollment
from portal.models import OutboxEmail

from .factories import draft_ready

S = Enrollment.Status
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ROME = ZoneInfo("Europe/Rome")
DSU = "INPS-ISEE-2026-12345678A-00"
DETAILS = "Allergia alle arachidi e alla frutta a guscio"
CHANGELIST = "admin:enrollment_enrollment_changelist"


# --- services ----------------------------------------------------------------------------------------------------


def emails(kind: str) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(kind=kind).order_by("pk"))


def events(enrollment) -> list[tuple[str, str, str]]:
    return list(enrollment.events.order_by("pk").values_list("action", "from_status", "to_status"))


def transport_submitted(user, child, school_year, school, route, transport):
    draft = draft_ready(user=user, child=child, service=transport, school_year=school_year, school=school, route=route)
    return services.enrollment_submit(enrollment=draft, user=user, declarations=True)


# --- the wizard through the test client --------------------------------------------------------------------------


def page_text(response) -> str:
    """The page as a person reads it (entities decoded)."""
    return html.unescape(response.content.decode())


def step_url(enrollment, slug: str) -> str:
    return reverse("enrollment:step", kwargs={"pk": enrollment.pk, "step": slug})


def post_step(client, enrollment, slug: str, data: dict, *, expect_next: str | None = None, **extra):
    response = client.post(step_url(enrollment, slug), {"azione": "continua", **data}, **extra)
    if expect_next is not None:
        assert response.status_code == 302, page_text(response)[:3000]
        assert response.url == step_url(enrollment, expect_next), response.url
    return response


def start(client, child, *windows) -> Enrollment:
    response = client.post(reverse("enrollment:start"), {"bambino": child.pk, "windows": [w.pk for w in windows]})
    assert response.status_code == 302, page_text(response)[:3000]
    return Enrollment.objects.filter(child=child, status=S.DRAFT).order_by("pk").first()


def declarations(**extra) -> dict:
    return {"azione": "invia", "truthful": "on", "privacy": "on", **extra}


# --- the admin ---------------------------------------------------------------------------------------------------


def signed_in(client, user):
    """Staff enter the admin with TOTP activated (StaffMfaRequiredMiddleware)."""
    TOTP.activate(user, generate_totp_secret())
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def action(client, name: str, enrollments, **extra):
    data = {"action": name, "_selected_action": [e.pk for e in enrollments], **extra}
    return client.post(reverse(CHANGELIST), data, follow="confirm" in extra or name != "reject_selected")
