"""Activation letters: one A4 page per imported family with its one-time code, printed in bulk as one PDF.

`activation_letters_pdf` issues a new code for every family (the previous letters stop working) and
renders `accounts/pdf/activation_letter.html` with WeasyPrint, in one transaction: if rendering fails,
no code is replaced. `print_activation_letters` is the admin action on imported adults.
"""

from allauth.utils import build_absolute_uri
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.pdf import assets, comune_place, html_to_pdf

from .models import Child, ImportedAdult, User
from .services import CODE_VALIDITY, activation_letter_issue

TEMPLATE = "accounts/pdf/activation_letter.html"
_ORDERING = ("last_name", "first_name", "pk")  # the order the letters are folded and posted in


def _without_scheme(url: str) -> str:
    """How an address is printed on paper: browsers add https:// themselves."""
    return url.split("://", 1)[-1]


def portal_signup_url(request=None) -> str:
    """The address printed on the letter: the request's host in the admin, else the current Site's domain."""
    return build_absolute_uri(request, reverse("account_signup"))


@transaction.atomic
def activation_letters_pdf(*, imported_adults, actor: User, portal_url: str | None = None) -> bytes:
    """One PDF with one page per imported adult, each with a freshly issued code (in the given order)."""
    order = [adult.pk for adult in imported_adults]
    children = Prefetch("children", queryset=Child.objects.order_by("birth_date", "first_name"))
    by_pk = ImportedAdult.objects.prefetch_related(children).in_bulk(order)
    now = timezone.now()
    letters = []
    for pk in order:
        adult = by_pk[pk]
        code = activation_letter_issue(imported_adult=adult, actor=actor)
        letters.append(
            {
                "adult": adult,
                "children": list(adult.children.all()),
                "code": code,
                "reference": f"{adult.pk}/{timezone.localdate(now):%Y%m%d}",
            }
        )
    context = {
        "letters": letters,
        "comune": {
            "name": settings.PORTAL_COMUNE_NAME,
            "address": settings.PORTAL_COMUNE_ADDRESS,
            "email": settings.PORTAL_COMUNE_EMAIL,
        },
        "place": comune_place(settings.PORTAL_COMUNE_NAME),
        "issued_on": timezone.localdate(now),
        "valid_until": timezone.localdate(now + CODE_VALIDITY),
        "portal_url": _without_scheme(portal_url or portal_signup_url()),
        "logo_url": assets()["logo"],
        "fonts": assets()["fonts"],
    }
    with translation.override(settings.LANGUAGE_CODE):  # a paper letter to families: in the Comune's language
        html = render_to_string(TEMPLATE, context)
    return html_to_pdf(html)


@admin.action(description=_("Stampa lettere di attivazione"), permissions=["change"])
def print_activation_letters(modeladmin, request, queryset):
    """Admin action on ImportedAdult: a PDF of letters for the selected families not linked yet."""
    with_children = Child.objects.filter(imported_from=OuterRef("pk"))
    printable = list(queryset.filter(claimed_at__isnull=True).filter(Exists(with_children)).order_by(*_ORDERING))
    skipped = queryset.count() - len(printable)
    if skipped:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d famiglia esclusa: ha già collegato i figli oppure non ha figli importati.",
                "%(count)d famiglie escluse: hanno già collegato i figli oppure non hanno figli importati.",
                skipped,
            )
            % {"count": skipped},
            messages.WARNING,
        )
    if not printable:
        modeladmin.message_user(request, _("Nessuna lettera da stampare."), messages.ERROR)
        return None
    pdf = activation_letters_pdf(imported_adults=printable, actor=request.user, portal_url=portal_signup_url(request))
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d lettera di attivazione stampata: i codici delle lettere precedenti non valgono più.",
            "%(count)d lettere di attivazione stampate: i codici delle lettere precedenti non valgono più.",
            len(printable),
        )
        % {"count": len(printable)},
        messages.SUCCESS,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"lettere-attivazione-{timezone.localtime():%Y%m%d-%H%M}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
