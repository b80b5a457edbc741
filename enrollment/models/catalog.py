"""What the office configures: school years, schools and classes, services, windows, tariffs, routes and stops,
school staff."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .common import EURO, ServiceKind, municipal_kind_choices, service_kind_prepaid


class SchoolYear(models.Model):
    name = models.CharField(_("anno scolastico"), max_length=9, unique=True, help_text=_("Ad esempio 2026/2027."))
    starts_on = models.DateField(_("primo giorno di scuola"))
    ends_on = models.DateField(_("ultimo giorno di scuola"))

    class Meta:
        verbose_name = _("anno scolastico")
        verbose_name_plural = _("anni scolastici")
        ordering = ["-starts_on"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")), name="year_ends_after")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on <= self.starts_on:
            raise ValidationError({"ends_on": _("L'ultimo giorno deve venire dopo il primo.")})


class School(models.Model):
    """A school of the Comune's territory."""

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


class SchoolClass(models.Model):
    """A class or section of a school ("3A", "Sezione Girasoli")."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="classes", verbose_name=_("scuola"))
    name = models.CharField(_("classe o sezione"), max_length=40)
    # A nursery's groups take children of an age: "Lattanti" 3-12 months at the start of the year, and so on.
    min_age_months = models.PositiveSmallIntegerField(
        _("età minima (mesi)"),
        null=True,
        blank=True,
        help_text=_("Compiuti all'inizio dell'anno scolastico. Vuoto: nessun limite (le classi delle scuole)."),
    )
    max_age_months = models.PositiveSmallIntegerField(
        _("età massima (mesi)"),
        null=True,
        blank=True,
        help_text=_("Non ancora compiuti all'inizio dell'anno: 12 vuol dire fino a 11 mesi e 30 giorni."),
    )

    class Meta:
        verbose_name = _("classe")
        verbose_name_plural = _("classi")
        ordering = ["school", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="class_unique_per_school")]

    def __str__(self) -> str:
        return f"{self.school} — {self.name}"

    def age_fits(self, age_months: int) -> bool:
        """Whether a child of this age (in whole months at the start of the year) belongs in this group."""
        too_young = self.min_age_months is not None and age_months < self.min_age_months
        too_old = self.max_age_months is not None and age_months >= self.max_age_months
        return not (too_young or too_old)


class Service(models.Model):
    class Unit(models.TextChoices):
        PER_MEAL = "meal", _("a pasto")
        PER_YEAR = "year", _("all'anno")
        PER_MONTH = "month", _("al mese")

    UNIT_OF_KIND: dict[str, str] = {
        ServiceKind.CANTEEN: Unit.PER_MEAL,
        ServiceKind.TRANSPORT: Unit.PER_YEAR,
        ServiceKind.NURSERY: Unit.PER_MONTH,
    }

    kind = models.CharField(_("tipo"), max_length=10, choices=municipal_kind_choices, unique=True)
    name = models.CharField(_("nome"), max_length=100)
    description = models.TextField(_("descrizione per le famiglie"), blank=True)
    schools = models.ManyToManyField(School, related_name="services", blank=True, verbose_name=_("scuole servite"))
    instalments = models.PositiveSmallIntegerField(
        _("rate"), default=1, help_text=_("In quante rate si paga la tariffa annuale (trasporto).")
    )

    class Meta:
        verbose_name = _("servizio")
        verbose_name_plural = _("servizi")
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["canteen", "transport", "nursery"]), name="service_kind_valid"
            ),
            models.CheckConstraint(condition=Q(instalments__gte=1, instalments__lte=12), name="service_instalments"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def unit(self) -> str:
        return self.UNIT_OF_KIND[self.kind]

    @property
    def prepaid(self) -> bool:
        """Paid from a prepaid balance topped up by the family (the canteen), else billed by notice."""
        return service_kind_prepaid(self.kind)

    @property
    def name_in_sentence(self) -> str:
        """The name as it reads inside an Italian sentence, after "al servizio di": "refezione scolastica".

        The office writes names as titles ("Refezione scolastica"); the first letter is lowered, unless the name
        starts with an acronym or a proper name written in capitals ("CRE estivo", "ASP Arcobaleno").
        """
        name = self.name.strip()
        first_word = name.split(" ", 1)[0]
        if len(first_word) > 1 and first_word[:2].isupper():
            return name
        return name[:1].lower() + name[1:]


class EnrollmentWindow(models.Model):
    """When parents may enroll in a service for a year (Europe/Rome); staff may still enroll late."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="windows", verbose_name=_("servizio"))
    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.CASCADE, related_name="windows", verbose_name=_("anno scolastico")
    )
    opens_at = models.DateTimeField(_("apre il"))
    closes_at = models.DateTimeField(_("chiude il"))

    class Meta:
        verbose_name = _("periodo di iscrizione")
        verbose_name_plural = _("periodi di iscrizione")
        ordering = ["-opens_at"]
        constraints = [
            models.UniqueConstraint(fields=["service", "school_year"], name="window_unique_per_service_year"),
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="window_closes_after"),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.school_year}"

    def clean(self) -> None:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("La chiusura deve venire dopo l'apertura.")})

    def is_open(self, when=None) -> bool:
        when = when or timezone.now()
        return self.opens_at <= when < self.closes_at


class TariffPlan(models.Model):
    """The prices of a service for one year. Bands are [from, to): the lower bound included, the upper excluded."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="tariff_plans", verbose_name=_("servizio")
    )
    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.CASCADE, related_name="tariff_plans", verbose_name=_("anno scolastico")
    )
    no_isee_amount = models.DecimalField(
        _("tariffa senza ISEE"), **EURO, null=True, blank=True, help_text=_("Vuoto: la tariffa della fascia più alta.")
    )
    non_resident_amount = models.DecimalField(
        _("tariffa non residenti"), **EURO, null=True, blank=True, help_text=_("Vuoto: come i residenti.")
    )
    sibling_second_percent = models.PositiveSmallIntegerField(
        _("riduzione secondo figlio (%)"),
        default=0,
        help_text=_("Per il secondo figlio iscritto allo stesso servizio."),
    )
    sibling_third_percent = models.PositiveSmallIntegerField(
        _("riduzione dal terzo figlio (%)"), default=0, help_text=_("Per il terzo figlio iscritto e i successivi.")
    )

    class Meta:
        verbose_name = _("piano tariffario")
        verbose_name_plural = _("piani tariffari")
        ordering = ["-school_year__starts_on", "service"]
        constraints = [
            models.UniqueConstraint(fields=["service", "school_year"], name="tariff_plan_unique"),
            models.CheckConstraint(condition=Q(sibling_second_percent__lte=100), name="tariff_sibling2_percent"),
            models.CheckConstraint(condition=Q(sibling_third_percent__lte=100), name="tariff_sibling3_percent"),
            models.CheckConstraint(condition=Q(no_isee_amount__gte=0), name="tariff_no_isee_positive"),
            models.CheckConstraint(condition=Q(non_resident_amount__gte=0), name="tariff_non_resident_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.school_year}"


class TariffBand(models.Model):
    plan = models.ForeignKey(TariffPlan, on_delete=models.CASCADE, related_name="bands", verbose_name=_("piano"))
    isee_from = models.DecimalField(_("ISEE da (incluso)"), **EURO)
    isee_to = models.DecimalField(
        _("ISEE fino a (escluso)"),
        **EURO,
        null=True,
        blank=True,
        help_text=_("Vuoto nell'ultima fascia: senza limite."),
    )
    amount = models.DecimalField(_("tariffa"), **EURO)

    class Meta:
        verbose_name = _("fascia ISEE")
        verbose_name_plural = _("fasce ISEE")
        ordering = ["plan", "isee_from"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "isee_from"], name="band_unique_start"),
            models.CheckConstraint(condition=Q(isee_from__gte=0), name="band_from_positive"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="band_amount_positive"),
            models.CheckConstraint(
                condition=Q(isee_to__isnull=True) | Q(isee_to__gt=models.F("isee_from")), name="band_to_after_from"
            ),
        ]

    def __str__(self) -> str:
        upper = self.isee_to if self.isee_to is not None else "∞"
        return f"[{self.isee_from} - {upper})"


class Route(models.Model):
    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.CASCADE, related_name="routes", verbose_name=_("anno")
    )
    name = models.CharField(_("linea"), max_length=100)
    capacity = models.PositiveSmallIntegerField(_("posti"))
    schools = models.ManyToManyField(School, related_name="routes", blank=True, verbose_name=_("scuole servite"))

    class Meta:
        verbose_name = _("linea di trasporto")
        verbose_name_plural = _("linee di trasporto")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["school_year", "name"], name="route_unique_name")]

    def __str__(self) -> str:
        return self.name


class Stop(models.Model):
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="stops", verbose_name=_("linea"))
    order = models.PositiveSmallIntegerField(_("ordine"))
    name = models.CharField(_("fermata"), max_length=100)
    address = models.CharField(_("indirizzo"), max_length=200, blank=True)
    outbound_time = models.TimeField(_("orario andata"), null=True, blank=True)
    return_time = models.TimeField(_("orario ritorno"), null=True, blank=True)

    class Meta:
        verbose_name = _("fermata")
        verbose_name_plural = _("fermate")
        ordering = ["route", "order"]
        constraints = [models.UniqueConstraint(fields=["route", "order"], name="stop_unique_order")]

    def __str__(self) -> str:
        return f"{self.route} · {self.order}. {self.name}"


class SchoolStaff(models.Model):
    """A school's secretary (or kitchen, transport operator): downloads the files of their schools only."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="school_staff", verbose_name=_("utente")
    )
    schools = models.ManyToManyField(School, related_name="staff", verbose_name=_("scuole"))
    routes = models.ManyToManyField(Route, related_name="staff", blank=True, verbose_name=_("linee di trasporto"))

    class Meta:
        verbose_name = _("personale scolastico")
        verbose_name_plural = _("personale scolastico")

    def __str__(self) -> str:
        return str(self.user)
