"""Formatting for the fake's pages: amounts in cents as people read them ("1.234,50 €")."""

from django import template
from django.utils.formats import number_format

from payments.pagopa import notice_number_grouped
from portal.money import from_cents

register = template.Library()


@register.filter
def cents_eur(cents: int | None) -> str:
    if cents is None or cents == "":
        return ""
    return f"{number_format(from_cents(int(cents)), 2, use_l10n=True, force_grouping=True)}\u00a0€"


@register.filter
def nav_grouped(nav: str) -> str:
    return notice_number_grouped(nav or "")
