"""The fake IO's pages: a citizen's inbox as the app shows it ("Paga" opens the fake pagoPA for the notice), and a
control page (profiles on IO or not, services switched off, outage and 429 on demand)."""

import datetime
import html
import re
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from . import services
from .models import Behaviour, Message, Profile

ROME = ZoneInfo("Europe/Rome")
SERVICE_NAMES = {"canteen": "Mensa scolastica", "transport": "Trasporto scolastico", "nursery": "Asilo nido"}
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")


def markdown_html(text: str) -> SafeString:
    """The subset of markdown IO renders (headings, bold, links, bullets, paragraphs), from escaped text."""
    blocks = []
    for block in re.split(r"\n\s*\n", html.escape(text.strip())):
        lines = block.splitlines()
        if all(line.lstrip().startswith(("- ", "* ")) for line in lines):
            items = "".join(f"<li>{_inline(line.lstrip()[2:])}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        elif block.startswith("#"):
            blocks.append(f"<h3 class='h5'>{_inline(block.lstrip('#').strip())}</h3>")
        else:
            blocks.append(f"<p>{'<br>'.join(_inline(line) for line in lines)}</p>")
    return mark_safe("".join(blocks))  # noqa: S308 - built from html.escape'd text


def _inline(text: str) -> str:
    return _LINK.sub(r'<a href="\2" rel="noopener">\1</a>', _BOLD.sub(r"<strong>\1</strong>", text))


def _pay_url(payment: dict | None) -> str:
    if not payment:
        return ""
    try:
        shop = reverse("mockpsp:shop")
    except NoReverseMatch:  # the pagoPA fake is off
        return ""
    payee = (payment.get("payee") or {}).get("fiscal_code") or settings.PAGOPA_CREDITOR_FISCAL_CODE
    return f"{shop}?notice_number={payment['notice_number']}&creditor_fiscal_code={payee}"


def _due(value: str) -> str:
    """The due date as the app shows it: the day in Italy."""
    if not value:
        return ""
    moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return f"{moment.astimezone(ROME):%d/%m/%Y}"


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("cf", "").strip().upper()
    rows = Message.objects.filter(fiscal_code=code, status=Message.Status.PROCESSED) if code else []
    items = [
        {
            "message": row,
            "body": markdown_html(row.content.get("markdown", "")),
            "payment": row.content.get("payment_data"),
            "pay_url": _pay_url(row.content.get("payment_data")),
            "amount": (row.content.get("payment_data") or {}).get("amount", 0) / 100,
            "service": SERVICE_NAMES.get(row.service, row.service),
            "due": _due(row.content.get("due_date", "")),
        }
        for row in rows
    ]
    return render(request, "mockio/inbox.html", {"cf": code, "items": items})


class ProfileForm(forms.Form):
    fiscal_code = forms.RegexField(label="Codice fiscale", regex=services.FISCAL_CODE, max_length=16)
    inbox_enabled = forms.BooleanField(label="Su IO, messaggi attivi", required=False, initial=True)
    blocked = forms.MultipleChoiceField(
        label="Servizi disattivati dal cittadino",
        required=False,
        choices=[(kind, kind) for kind in ("canteen", "transport", "nursery")],
        widget=forms.CheckboxSelectMultiple,
    )


@require_http_methods(["GET", "POST"])
def control(request: HttpRequest) -> HttpResponse:
    behaviour = Behaviour.current()
    form = ProfileForm(request.POST if request.POST.get("action") == "profile" else None)
    if form.is_bound and form.is_valid():
        Profile.objects.update_or_create(
            fiscal_code=form.cleaned_data["fiscal_code"],
            defaults={
                "inbox_enabled": form.cleaned_data["inbox_enabled"],
                "blocked_services": form.cleaned_data["blocked"],
            },
        )
        flash.success(request, "Profilo salvato.")
        return redirect("mockio:control")
    if request.POST.get("action") == "behaviour":
        behaviour.down = request.POST.get("down") == "on"
        behaviour.save()
        services.throttle_for(int(request.POST.get("throttle_minutes") or 0))
        flash.success(request, "Comportamento salvato.")
        return redirect("mockio:control")
    context = {"form": form, "behaviour": behaviour, "profiles": Profile.objects.order_by("fiscal_code")[:100]}
    return render(request, "mockio/control.html", context)
