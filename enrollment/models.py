from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class School(models.Model):
    """A school of the Comune's territory (the enrollment issue adds classes, years and services)."""

    class Kind(models.TextChoices):
        NIDO = "nido", _("Asilo nido")
        INFANZIA = "infanzia", _("Scuola dell'infanzia")
        PRIMARIA = "primaria", _("Scuola primaria")
        SECONDARIA = "secondaria1", _("Scuola secondaria di primo grado")

    name = models.CharField(_("nome"), max_length=200)
    kind = models.CharField(_("tipo"), max_length=12, choices=Kind.choices)
    ministry_code = models.CharField(
        _("codice meccanografico"), max_length=10, unique=True, help_text=_("Il codice del Ministero, es. RMEE00101X.")
    )
    address = models.CharField(_("indirizzo"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("scuola")
        verbose_name_plural = _("scuole")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["nido", "infanzia", "primaria", "secondaria1"]), name="school_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name
