"""Reconciliation flows (flussi di rendicontazione, FdR): what each PSP reports it transferred to the Comune's treasury
for a day of payments (one bank transfer, the *regolamento*), line by line, and how each line matches our receipts."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .common import EURO
from .receipts import Receipt


class FdrFlow(models.Model):
    """One flow as published by the platform (the highest revision read; a new revision replaces the lines)."""

    fdr = models.CharField(_("identificativo del flusso"), max_length=70)
    psp_id = models.CharField(_("codice PSP"), max_length=35)
    revision = models.PositiveIntegerField(_("revisione"), default=1)
    organization_id = models.CharField(_("ente ricevente"), max_length=35)
    foreign = models.BooleanField(
        _("intestato a un altro ente"),
        default=False,
        help_text=_("Il flusso è intestato a un altro ente: nulla è abbinato."),
    )
    psp_name = models.CharField(_("PSP"), max_length=70, blank=True)
    flow_date = models.DateTimeField(_("data del flusso"), null=True, blank=True)
    published_at = models.DateTimeField(_("pubblicato il"), null=True, blank=True, db_index=True)
    regulation = models.CharField(_("identificativo del regolamento"), max_length=140, blank=True)
    regulation_date = models.DateField(_("data del regolamento"), null=True, blank=True)
    bic = models.CharField(_("BIC della banca di riversamento"), max_length=35, blank=True)
    tot_payments = models.PositiveIntegerField(_("pagamenti dichiarati"), default=0)
    sum_payments = models.DecimalField(_("importo dichiarato"), **EURO, default=0)
    complete = models.BooleanField(_("lettura completa"), default=False)
    imported_at = models.DateTimeField(_("letto il"), default=timezone.now)

    class Meta:
        verbose_name = _("flusso di rendicontazione")
        verbose_name_plural = _("flussi di rendicontazione")
        ordering = ["-flow_date", "-pk"]
        constraints = [models.UniqueConstraint(fields=["fdr", "psp_id"], name="fdr_flow_unique")]

    def __str__(self) -> str:
        return f"{self.fdr} (rev. {self.revision})"


class FdrLine(models.Model):
    """One payment of a flow (one transfer of it), and what the portal made of it."""

    class Outcome(models.TextChoices):
        MATCHED = "matched", _("abbinato")
        MISSING = "missing", _("manca la ricevuta")
        AMOUNT = "amount", _("importo diverso")
        DUPLICATE = "duplicate", _("riga ripetuta nel flusso")
        REVOKED = "revoked", _("pagamento revocato")
        FOREIGN = "foreign", _("intestato a un altro ente")

    flow = models.ForeignKey(FdrFlow, on_delete=models.CASCADE, related_name="lines", verbose_name=_("flusso"))
    index = models.PositiveIntegerField(_("indice"))
    iuv = models.CharField(_("IUV"), max_length=35)
    iur = models.CharField(_("IUR"), max_length=35)
    id_transfer = models.PositiveSmallIntegerField(_("trasferimento"), default=1)
    amount = models.DecimalField(_("importo"), **EURO)
    pay_date = models.DateTimeField(_("data del pagamento"), null=True, blank=True)
    pay_status = models.CharField(_("esito del pagamento"), max_length=16)
    outcome = models.CharField(_("abbinamento"), max_length=10, choices=Outcome.choices, db_index=True)
    receipt = models.ForeignKey(
        Receipt,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fdr_lines",
        verbose_name=_("ricevuta"),
    )

    class Meta:
        verbose_name = _("riga di rendicontazione")
        verbose_name_plural = _("righe di rendicontazione")
        ordering = ["flow", "index"]
        indexes = [
            models.Index(fields=["flow", "outcome"], name="fdr_line_flow_outcome"),
            models.Index(fields=["iuv"], name="fdr_line_iuv"),
        ]

    def __str__(self) -> str:
        return f"{self.iuv} {self.amount}"
