"""When the canteen serves meals (per school year and school) and the office's rules for the year."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import School, SchoolYear
from enrollment.models.common import EURO


class CanteenCalendar(models.Model):
    """The days a school's canteen serves meals: its weekdays between the first and the last day, minus the
    national holidays (the `holidays` package), the patron saint's day and the closures the office enters."""

    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.PROTECT, related_name="canteen_calendars", verbose_name=_("anno scolastico")
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="canteen_calendars", verbose_name=_("scuola")
    )
    first_day = models.DateField(_("primo giorno di mensa"))
    last_day = models.DateField(_("ultimo giorno di mensa"))
    weekdays = models.CharField(
        _("giorni della settimana"),
        max_length=7,
        default="12345",
        help_text=_("I giorni con la mensa: 1 = lunedì … 7 = domenica. Ad esempio 12345 dal lunedì al venerdì."),
    )
    patron_day = models.DateField(
        _("festa del santo patrono"), null=True, blank=True, help_text=_("Il giorno della festa patronale del Comune.")
    )

    class Meta:
        verbose_name = _("calendario della mensa")
        verbose_name_plural = _("calendari della mensa")
        ordering = ["-school_year__starts_on", "school__name"]
        constraints = [
            models.UniqueConstraint(fields=["school_year", "school"], name="canteen_calendar_unique"),
            models.CheckConstraint(condition=Q(last_day__gte=F("first_day")), name="canteen_calendar_ends_after"),
            models.CheckConstraint(condition=Q(weekdays__regex=r"^[1-7]{1,7}$"), name="canteen_calendar_weekdays"),
        ]

    def __str__(self) -> str:
        return f"{self.school} — {self.school_year}"

    def clean(self) -> None:
        if self.first_day and self.last_day and self.last_day < self.first_day:
            raise ValidationError({"last_day": _("L'ultimo giorno deve venire dopo il primo.")})
        if self.weekdays and (set(self.weekdays) - set("1234567")):
            raise ValidationError({"weekdays": _("Usare solo le cifre da 1 (lunedì) a 7 (domenica).")})

    def serves_weekday(self, day: datetime.date) -> bool:
        return str(day.isoweekday()) in self.weekdays


class Closure(models.Model):
    """Days without canteen: the regional calendar's holidays, a strike, a school trip, anything the office enters.

    A closure entered at short notice (a strike, a trip) can e-mail the families of the children it affects."""

    class Kind(models.TextChoices):
        REGIONAL = "regional", _("calendario scolastico regionale")
        STRIKE = "strike", _("sciopero")
        TRIP = "trip", _("gita o uscita didattica")
        OTHER = "other", _("altro")

    calendar = models.ForeignKey(
        CanteenCalendar, on_delete=models.CASCADE, related_name="closures", verbose_name=_("calendario")
    )
    starts_on = models.DateField(_("dal"))
    ends_on = models.DateField(_("al"))
    kind = models.CharField(_("motivo"), max_length=10, choices=Kind.choices, default=Kind.REGIONAL)
    note = models.CharField(_("descrizione"), max_length=200, blank=True)
    notify_families = models.BooleanField(
        _("avvisa le famiglie"), default=False, help_text=_("Manda un'e-mail alle famiglie dei bambini coinvolti.")
    )
    notified_at = models.DateTimeField(_("famiglie avvisate il"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("inserita da"),
    )
    created_at = models.DateTimeField(_("inserita il"), default=timezone.now)

    class Meta:
        verbose_name = _("chiusura della mensa")
        verbose_name_plural = _("chiusure della mensa")
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="canteen_closure_ends_after")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_on:%d/%m/%Y} - {self.ends_on:%d/%m/%Y}"


class CanteenPolicy(models.Model):
    """The office's rules of one school year: the daily cut-off for cancellations, the low-balance default, how far a
    balance may go below zero and what happens to arrears."""

    school_year = models.OneToOneField(
        SchoolYear, on_delete=models.CASCADE, related_name="canteen_policy", verbose_name=_("anno scolastico")
    )
    cutoff_time = models.TimeField(
        _("ora limite per la disdetta"),
        default=datetime.time(9, 30),
        help_text=_("Ora italiana del giorno stesso: dopo, il pasto non si può più disdire."),
    )
    low_balance_meals = models.PositiveSmallIntegerField(
        _("soglia di saldo basso (pasti)"),
        default=5,
        help_text=_("Quanti pasti di credito fanno scattare l'avviso, se il genitore non sceglie un'altra soglia."),
    )
    overdraft_limit = models.DecimalField(
        _("scoperto ammesso"),
        **EURO,
        default=0,
        help_text=_("Di quanto il saldo può scendere sotto zero prima del sollecito (in euro, positivo)."),
    )
    arrears_reminder_days = models.PositiveSmallIntegerField(
        _("giorni prima del sollecito"), default=15, help_text=_("Giorni di saldo negativo prima del sollecito.")
    )
    arrears_block_enrollment = models.BooleanField(
        _("la morosità blocca l'iscrizione all'anno successivo"), default=False
    )

    class Meta:
        verbose_name = _("regole della mensa")
        verbose_name_plural = _("regole della mensa")
        constraints = [models.CheckConstraint(condition=Q(overdraft_limit__gte=0), name="canteen_overdraft_positive")]

    def __str__(self) -> str:
        return str(self.school_year)
