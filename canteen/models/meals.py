"""Meals of one child and one day: what the school reports (attendance), what the parent cancels before the
cut-off, and the office's exceptions after it. Money moves only in the ledger (payments.LedgerEntry): a consumed
meal is a debit at the tariff frozen on the enrollment, a correction a reversing entry, never an edit."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment, School


class MealType(models.TextChoices):
    NORMAL = "normal", _("normale")
    DIET = "diet", _("dieta speciale")
    LIGHT = "light", _("pasto in bianco")


class AttendanceBatch(models.Model):
    """One attendance file or call (a school's upload, the kitchen's system, the office's correction by hand)."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("file caricato")
        API = "api", _("sistema della cucina")
        OFFICE = "office", _("correzione dell'ufficio")

    class Status(models.TextChoices):
        PREVIEW = "preview", _("anteprima")
        APPLIED = "applied", _("applicato")
        DISCARDED = "discarded", _("scartato")

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("scuola")
    )
    source = models.CharField(_("origine"), max_length=10, choices=Source.choices)
    status = models.CharField(_("stato"), max_length=10, choices=Status.choices, default=Status.PREVIEW)
    filename = models.CharField(_("nome del file"), max_length=200, blank=True)
    content_sha256 = models.CharField(_("impronta SHA-256 del contenuto"), max_length=64, blank=True)
    rows = models.JSONField(_("righe valide"), default=list, blank=True)
    errors = models.JSONField(_("righe con errori"), default=list, blank=True)
    row_count = models.PositiveIntegerField(_("righe"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("caricato da"),
    )
    created_at = models.DateTimeField(_("caricato il"), default=timezone.now)
    applied_at = models.DateTimeField(_("applicato il"), null=True, blank=True)

    class Meta:
        verbose_name = _("presenze in mensa (file)")
        verbose_name_plural = _("presenze in mensa (file)")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {timezone.localtime(self.created_at):%d/%m/%Y %H:%M}"


class Attendance(models.Model):
    """What the school reported for one child and one day (the latest report wins; the ledger keeps the history)."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="attendances", verbose_name=_("iscrizione")
    )
    date = models.DateField(_("giorno"))
    present = models.BooleanField(_("presente"))
    meal_type = models.CharField(_("tipo di pasto"), max_length=10, choices=MealType.choices, default=MealType.NORMAL)
    batch = models.ForeignKey(
        AttendanceBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attendances",
        verbose_name=_("file"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registrata da"),
    )
    recorded_at = models.DateTimeField(_("registrata il"), default=timezone.now)

    class Meta:
        verbose_name = _("presenza in mensa")
        verbose_name_plural = _("presenze in mensa")
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["enrollment", "date"], name="attendance_one_per_day")]
        indexes = [models.Index(fields=["date", "enrollment"], name="attendance_date")]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {'presente' if self.present else 'assente'}"


class MealCancellation(models.Model):
    """A parent's request for one day, made before the cut-off: no meal (disdetta) or a light meal (pasto in bianco).

    Withdrawn (not deleted) when the parent changes their mind before the cut-off."""

    class Kind(models.TextChoices):
        CANCEL = "cancel", _("pasto disdetto")
        LIGHT = "light", _("pasto in bianco")

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="meal_cancellations", verbose_name=_("iscrizione")
    )
    date = models.DateField(_("giorno"))
    kind = models.CharField(_("richiesta"), max_length=10, choices=Kind.choices, default=Kind.CANCEL)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("richiesta da")
    )
    created_at = models.DateTimeField(_("richiesta il"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("ritirata il"), null=True, blank=True)

    class Meta:
        verbose_name = _("disdetta del pasto")
        verbose_name_plural = _("disdette dei pasti")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "date"], condition=Q(withdrawn_at__isnull=True), name="meal_cancellation_one"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date:%d/%m/%Y}"


class MealException(models.Model):
    """The office's decision after the cut-off (child sent home ill, strike announced late): the day's meal is not
    charged, with a reason the parent sees; its reversal is a ledger entry."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="meal_exceptions", verbose_name=_("iscrizione")
    )
    date = models.DateField(_("giorno"))
    reason = models.CharField(_("motivo"), max_length=200)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("concessa da")
    )
    granted_at = models.DateTimeField(_("concessa il"), default=timezone.now)

    class Meta:
        verbose_name = _("eccezione dopo l'ora limite")
        verbose_name_plural = _("eccezioni dopo l'ora limite")
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["enrollment", "date"], name="meal_exception_one")]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y}: {self.reason}"
