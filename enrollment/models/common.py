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
    SCHOOL = "school", _("Quote e contributi scolastici")

    @property
    def prepaid(self) -> bool:
        """How the service is paid, decided here only: True for a prepaid balance the family tops up (the
        canteen: meals are debited from it); False for a service billed by notice (transport, nursery, school
        fees), whose notices are the debt and which has no balance, no top-up and no ledger entries."""
        return self in PREPAID_KINDS


# The services paid from a prepaid balance (the ledger and its top-ups); every other service is billed by notice.
PREPAID_KINDS: frozenset[str] = frozenset({ServiceKind.CANTEEN})


def service_kind_prepaid(kind: str) -> bool:
    """Whether the service of this kind (a ServiceKind value) is paid from a prepaid balance (see ServiceKind)."""
    return kind in PREPAID_KINDS


# The Comune's own services (what a Service is); SCHOOL is what the schools collect as creditors of their own.
MUNICIPAL_KINDS: frozenset[str] = frozenset({ServiceKind.CANTEEN, ServiceKind.TRANSPORT, ServiceKind.NURSERY})


def municipal_kind_choices() -> list[tuple[str, str]]:
    """The choices (value, label) of the Comune's services."""
    return [(value, str(label)) for value, label in ServiceKind.choices if value in MUNICIPAL_KINDS]


def prepaid_kind_choices() -> list[tuple[str, str]]:
    """The choices (value, label) of the prepaid services: what a family tops up, what a balance is kept for."""
    return [(value, str(label)) for value, label in ServiceKind.choices if value in PREPAID_KINDS]
