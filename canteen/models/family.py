"""What the families choose and are told: the low-balance threshold per child, the reminders sent (once per
crossing), and the end-of-year requests (refund to an IBAN, transfer to a sibling) the office approves."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models.common import EURO


class LowBalanceThreshold(models.Model):
    """The balance below which a family is told (set by a parent; without it, the office's default in meals)."""

    child = models.OneToOneField(
        "accounts.Child", on_delete=models.CASCADE, related_name="low_balance_threshold", verbose_name=_("bambino")
    )
    amount = models.DecimalField(_("soglia"), **EURO)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("scelta da")
    )
    set_at = models.DateTimeField(_("scelta il"), default=timezone.now)

    class Meta:
        verbose_name = _("soglia di saldo basso")
        verbose_name_plural = _("soglie di saldo basso")
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="low_balance_threshold_positive")]

    def __str__(self) -> str:
        return str(self.amount)


class BalanceAlert(models.Model):
    """One reminder for one crossing: open while the balance stays below (no second e-mail), closed when it is back.

    Low balance: under the threshold. Arrears (sollecito): below zero beyond the office's overdraft for the office's
    number of days (open from the day it went below, e-mailed when the days are over); the sollecito carries a
    pagoPA notice for the debt."""

    class Kind(models.TextChoices):
        LOW = "low", _("saldo basso")
        ARREARS = "arrears", _("sollecito per saldo negativo")

    child = models.ForeignKey(
        "accounts.Child", on_delete=models.CASCADE, related_name="balance_alerts", verbose_name=_("bambino")
    )
    kind = models.CharField(_("tipo"), max_length=10, choices=Kind.choices)
    balance = models.DecimalField(_("saldo al momento dell'avviso"), **EURO)
    notice = models.ForeignKey(
        "payments.PaymentNotice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("avviso di pagamento"),
    )
    since = models.DateTimeField(_("dal"), default=timezone.now)
    sent_at = models.DateTimeField(_("inviato il"), null=True, blank=True)
    cleared_at = models.DateTimeField(_("rientrato il"), null=True, blank=True)

    class Meta:
        verbose_name = _("avviso sul saldo")
        verbose_name_plural = _("avvisi sul saldo")
        ordering = ["-since"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "kind"], condition=Q(cleared_at__isnull=True), name="balance_alert_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {timezone.localtime(self.since):%d/%m/%Y}"


class YearEndRequest(models.Model):
    """At the end of the year the balance carries over; a parent may instead ask for a refund or a transfer."""

    class Kind(models.TextChoices):
        REFUND = "refund", _("rimborso sul conto")
        TRANSFER = "transfer", _("trasferimento a un fratello o sorella")

    class Status(models.TextChoices):
        PENDING = "pending", _("da esaminare")
        APPROVED = "approved", _("eseguita")
        REJECTED = "rejected", _("respinta")

    child = models.ForeignKey(
        "accounts.Child", on_delete=models.PROTECT, related_name="year_end_requests", verbose_name=_("bambino")
    )
    kind = models.CharField(_("richiesta"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(_("importo"), **EURO)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    account_holder = models.CharField(_("intestatario del conto"), max_length=140, blank=True)
    to_child = models.ForeignKey(
        "accounts.Child",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("a favore di"),
    )
    status = models.CharField(_("stato"), max_length=10, choices=Status.choices, default=Status.PENDING)
    office_note = models.CharField(_("nota dell'ufficio"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("richiesta da")
    )
    requested_at = models.DateTimeField(_("richiesta il"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decisa da"),
    )
    decided_at = models.DateTimeField(_("decisa il"), null=True, blank=True)

    class Meta:
        verbose_name = _("richiesta di fine anno")
        verbose_name_plural = _("richieste di fine anno")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="year_end_amount_positive"),
            models.UniqueConstraint(
                fields=["child"], condition=Q(status="pending"), name="year_end_one_pending_per_child"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"
