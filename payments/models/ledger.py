"""Where money moves: the append-only ledger and the cached balances."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import ServiceKind
from portal.money import euro_format

from .common import EURO
from .notices import PaymentNotice
from .receipts import Receipt


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Ledger entries are never edited: record a correcting entry instead.")

    def delete(self):
        raise TypeError("Ledger entries are never deleted: record a correcting entry instead.")


class LedgerEntry(models.Model):
    """An append-only movement of a child's account for one service; the balance is the sum of the entries."""

    class Kind(models.TextChoices):
        TOPUP = "topup", _("ricarica")
        PAYMENT = "payment", _("pagamento")
        MEAL = "meal", _("pasto")
        FEE = "fee", _("retta o quota")
        REFUND = "refund", _("rimborso")
        ADJUSTMENT = "adjustment", _("rettifica")

    child = models.ForeignKey(
        "accounts.Child", on_delete=models.PROTECT, related_name="ledger", verbose_name=_("bambino")
    )
    service_kind = models.CharField(_("servizio"), max_length=10, choices=ServiceKind.choices)
    kind = models.CharField(_("tipo"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(_("importo"), **EURO, help_text=_("Positivo: credito; negativo: addebito."))
    notice = models.ForeignKey(
        PaymentNotice, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger", verbose_name=_("avviso")
    )
    receipt = models.OneToOneField(
        Receipt,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entry",
        verbose_name=_("ricevuta"),
    )
    reference = models.CharField(
        _("riferimento"), max_length=64, blank=True, help_text=_("Ad esempio il giorno del pasto: unico per tipo.")
    )
    reason = models.CharField(_("motivo"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registrata da"),
    )
    created_at = models.DateTimeField(_("registrata il"), default=timezone.now, db_index=True)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        verbose_name = _("movimento")
        verbose_name_plural = _("movimenti")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_amount_not_zero"),
            models.UniqueConstraint(
                fields=["child", "service_kind", "kind", "reference"],
                condition=~Q(reference=""),
                name="ledger_reference_unique",
            ),
        ]
        indexes = [models.Index(fields=["child", "service_kind"], name="ledger_child_service")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {euro_format(self.amount)}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("Ledger entries are never edited: record a correcting entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Ledger entries are never deleted: record a correcting entry instead.")


class Balance(models.Model):
    """The cached sum of a child's ledger for one service, updated under a row lock with every entry."""

    child = models.ForeignKey(
        "accounts.Child", on_delete=models.PROTECT, related_name="balances", verbose_name=_("bambino")
    )
    service_kind = models.CharField(_("servizio"), max_length=10, choices=ServiceKind.choices)
    amount = models.DecimalField(_("saldo"), **EURO, default=0)
    updated_at = models.DateTimeField(_("aggiornato il"), auto_now=True)

    class Meta:
        verbose_name = _("saldo")
        verbose_name_plural = _("saldi")
        constraints = [models.UniqueConstraint(fields=["child", "service_kind"], name="balance_unique")]

    def __str__(self) -> str:
        return f"{self.get_service_kind_display()}: {euro_format(self.amount)}"
