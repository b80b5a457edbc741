"""What every enrollment model shares: euro amounts, the health data permission, the kinds of service."""

from typing import TypedDict

from django.db import models
from django.utils.translation import gettext_lazy as _


class _EuroField(TypedDict):
    max_digits: int
    decimal_places: int


EURO: _EuroField = {"max_digits": 12, "decimal_places": 2}
# Medical diets and certificates (health data of minors): only staff with this permission see them, and it is logged.
HEALTH_PERMISSION = "enrollment.view_health_data"


class ServiceKind(models.TextChoices):
    """The municipal services; payments use the same categories (mensa, trasporto, nido)."""

    CANTEEN = "canteen", _("Refezione scolastica (mensa)")
    TRANSPORT = "transport", _("Trasporto scolastico")
    NURSERY = "nursery", _("Asilo nido")
