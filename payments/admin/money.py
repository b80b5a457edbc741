"""Money in the office's pages: every amount column and read-only field written as "1.234,50 €" by the portal's
one helper (portal.money.euro_format), never Django's bare "1234,50" or a long decimal."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin

from portal.money import euro_format


def money_column(field: str, description: Any) -> Callable[[Any, Any], str]:
    """A ModelAdmin (or inline) method showing `field` of a row as "1.234,50 €", sorted by the field:
    `amount_euro = money_column("amount", _("importo"))` in the class body, then "amount_euro" in the lists."""

    @admin.display(description=description, ordering=field)
    def show(_admin: Any, obj: Any) -> str:
        return euro_format(getattr(obj, field, None))

    show.__name__ = f"{field}_euro"
    return show
