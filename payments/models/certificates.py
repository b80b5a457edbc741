"""The yearly tax certificate (attestazione delle spese, art. 15 c. 1 lett. e-bis TUIR; nursery fees and voluntary
contributions to a school separate lines): per calendar year, creditor (the Comune or a school), child and person,
the spending paid through pagoPA in that year net of refunds, with a public verification code; and the split of a
child's spending between the adults who share it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.files import RandomFileName

from .common import EURO


class ExpenseSplit(models.Model):
    """How the adults of a child share a year's spending (percentages adding up to 100), declared once."""

    child = models.ForeignKey(
        "accounts.Child", on_delete=models.CASCADE, related_name="expense_splits", verbose_name=_("bambino")
    )
    year = models.PositiveSmallIntegerField(_("anno"))
    shares = models.JSONField(_("quote"), help_text=_("Elenco di {codice fiscale, nome, percentuale}."))
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("dichiarata da")
    )
    declared_at = models.DateTimeField(_("dichiarata il"), default=timezone.now)

    class Meta:
        verbose_name = _("ripartizione delle spese")
        verbose_name_plural = _("ripartizioni delle spese")
        constraints = [models.UniqueConstraint(fields=["child", "year"], name="expense_split_one_per_year")]

    def __str__(self) -> str:
        return f"{self.child} {self.year}"


class TaxCertificate(models.Model):
    class Status(models.TextChoices):
        ISSUED = "issued", _("valida")
        REPLACED = "replaced", _("sostituita")

    year = models.PositiveSmallIntegerField(_("anno"), db_index=True)
    child = models.ForeignKey(
        "accounts.Child", on_delete=models.PROTECT, related_name="tax_certificates", verbose_name=_("bambino")
    )
    holder_fiscal_code = models.CharField(_("codice fiscale dell'intestatario"), max_length=16, db_index=True)
    holder_name = models.CharField(_("intestatario"), max_length=140)
    share_percent = models.DecimalField(_("quota (%)"), max_digits=5, decimal_places=2, default=100)
    school_total = models.DecimalField(_("spese scolastiche"), **EURO, default=0)
    nursery_total = models.DecimalField(_("spese per il nido"), **EURO, default=0)
    donation_total = models.DecimalField(_("contributi volontari alla scuola"), **EURO, default=0)
    creditor_fiscal_code = models.CharField(
        _("codice fiscale dell'ente"), max_length=11, blank=True, help_text=_("Vuoto: il Comune.")
    )
    creditor_name = models.CharField(_("ente"), max_length=140, blank=True)
    lines = models.JSONField(_("pagamenti"), default=list)
    fingerprint = models.CharField(_("impronta dei dati"), max_length=64)
    verification_code = models.CharField(_("codice di verifica"), max_length=16, unique=True)
    status = models.CharField(_("stato"), max_length=10, choices=Status.choices, default=Status.ISSUED)
    replaced_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("sostituita da")
    )
    pdf = models.FileField(_("PDF"), upload_to=RandomFileName("certificates", ".pdf"), blank=True)
    issued_at = models.DateTimeField(_("emessa il"), default=timezone.now)
    emailed_at = models.DateTimeField(_("inviata il"), null=True, blank=True)

    class Meta:
        verbose_name = _("attestazione delle spese")
        verbose_name_plural = _("attestazioni delle spese")
        ordering = ["-year", "child__last_name", "holder_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "child", "holder_fiscal_code", "creditor_fiscal_code"],
                condition=Q(status="issued"),
                name="tax_certificate_one_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.holder_name} — {self.child}"
