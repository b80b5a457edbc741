"""Formatting for people, in the portal's language: ages, money."""

import datetime

from django import template
from django.utils import timezone
from django.utils.translation import ngettext

from portal.money import euro_format

register = template.Library()


@register.filter
def euro(amount) -> str:
    """ "1.234,50 €" (portal.money.euro_format): how every amount is written, in the pages and in the admin."""
    try:
        return euro_format(amount)
    except (ArithmeticError, TypeError, ValueError):
        return ""


def age_in_years(birth_date: datetime.date, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


@register.filter
def age(birth_date: datetime.date | None) -> str:
    """'3 anni', '1 anno', or months for a baby: '7 mesi'."""
    if birth_date is None:
        return ""
    today = timezone.localdate()
    years = age_in_years(birth_date, today)
    if years >= 1:
        return ngettext("%(n)d anno", "%(n)d anni", years) % {"n": years}
    months = max(
        0, (today.year - birth_date.year) * 12 + today.month - birth_date.month - (today.day < birth_date.day)
    )
    return ngettext("%(n)d mese", "%(n)d mesi", months) % {"n": months}
