"""Schools as creditors of their own (Pago In Rete's half of the portal): the creditor (an istituto, with its fiscal
code, IBAN, segregation code and taxonomy codes), the schools (plessi) it collects for, and the payment events its
staff create (a voluntary contribution, the insurance, a trip): one notice per pupil (or per family) each."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .common import EURO


class EventKind(models.TextChoices):
    CONTRIBUTION = "contribution", _("Contributo volontario")
    INSURANCE = "insurance", _("Assicurazione")
    TRIP = "trip", _("Uscita didattica o viaggio d'istruzione")
    OTHER = "other", _("Altro")


class Creditor(models.Model):
    """An organization other than the Comune whose notices the portal issues (one station, many organizations):
    its notices carry its fiscal code and credit its IBAN. The Comune itself is not a row: it is the settings'."""

    name = models.CharField(_("denominazione"), max_length=140)
    fiscal_code = models.CharField(_("codice fiscale dell'ente"), max_length=11, unique=True)
    office = models.CharField(_("ufficio"), max_length=140, blank=True, default="Segreteria")
    iban = models.CharField(_("IBAN di accredito"), max_length=34)
    segregation_code = models.PositiveSmallIntegerField(
        _("codice di segregazione"),
        unique=True,
        help_text=_("Le due cifre assegnate alla stazione del portale per questo ente (00-99)."),
    )
    taxonomy = models.JSONField(
        _("codici di tassonomia"),
        default=dict,
        blank=True,
        help_text=_("Per tipo di pagamento, il codice della tassonomia pagoPA (9/nnnnnnnXX/)."),
    )
    schools: "models.ManyToManyField" = models.ManyToManyField(
        "enrollment.School", through="CreditorSchool", related_name="+", verbose_name=_("scuole")
    )
    created_at = models.DateTimeField(_("creato il"), default=timezone.now)

    class Meta:
        verbose_name = _("ente creditore (scuola)")
        verbose_name_plural = _("enti creditori (scuole)")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(fiscal_code__regex=r"^\d{11}$"), name="creditor_fiscal_code_11"),
            models.CheckConstraint(condition=Q(segregation_code__lte=99), name="creditor_segregation_2_digits"),
        ]

    def __str__(self) -> str:
        return self.name


class CreditorSchool(models.Model):
    """A school (plesso) collects for one creditor only."""

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="+", verbose_name=_("ente"))
    school = models.OneToOneField(
        "enrollment.School", on_delete=models.CASCADE, related_name="creditor_link", verbose_name=_("scuola")
    )

    class Meta:
        verbose_name = _("scuola dell'ente")
        verbose_name_plural = _("scuole dell'ente")

    def __str__(self) -> str:
        return str(self.school_id)


class SchoolPaymentEvent(models.Model):
    """What a school asks its families to pay (evento di pagamento): one notice per pupil, or per family."""

    class Status(models.TextChoices):
        ISSUING = "issuing", _("in emissione")
        ISSUED = "issued", _("emesso")
        FAILED = "failed", _("emissione non riuscita")
        CANCELLING = "cancelling", _("annullamento in corso")
        CANCELLED = "cancelled", _("annullato")

    class Target(models.TextChoices):
        SCHOOL = "school", _("Tutta la scuola")
        CLASSES = "classes", _("Alcune classi")
        CHILDREN = "children", _("Alunni scelti")

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="events", verbose_name=_("ente"))
    school = models.ForeignKey(
        "enrollment.School", on_delete=models.PROTECT, related_name="+", verbose_name=_("scuola")
    )
    school_year = models.ForeignKey(
        "enrollment.SchoolYear", on_delete=models.PROTECT, related_name="+", verbose_name=_("anno scolastico")
    )
    title = models.CharField(_("titolo"), max_length=100)
    kind = models.CharField(_("tipo"), max_length=12, choices=EventKind.choices)
    amount = models.DecimalField(_("importo"), **EURO)
    per_family = models.BooleanField(_("un avviso per famiglia"), default=False)
    voluntary = models.BooleanField(_("volontario"), default=False)
    free_amount = models.BooleanField(
        _("importo libero"), default=False, help_text=_("Le famiglie possono versare un importo diverso.")
    )
    due_date = models.DateField(_("scadenza"))
    target = models.CharField(_("destinatari"), max_length=10, choices=Target.choices, default=Target.SCHOOL)
    classes = models.ManyToManyField("enrollment.SchoolClass", blank=True, related_name="+", verbose_name=_("classi"))
    children = models.ManyToManyField("accounts.Child", blank=True, related_name="+", verbose_name=_("alunni"))
    note = models.TextField(_("nota per le famiglie"), blank=True, max_length=1000)
    status = models.CharField(_("stato"), max_length=10, choices=Status.choices, default=Status.ISSUING)
    planned = models.PositiveIntegerField(_("avvisi da emettere"), default=0)
    issued = models.PositiveIntegerField(_("avvisi emessi"), default=0)
    error = models.CharField(_("errore"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("creato da")
    )
    created_at = models.DateTimeField(_("creato il"), default=timezone.now)
    reminded_at = models.DateTimeField(_("ultimo sollecito"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("annullato il"), null=True, blank=True)
    cancelled_reason = models.CharField(_("motivo dell'annullamento"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("evento di pagamento")
        verbose_name_plural = _("eventi di pagamento")
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="school_event_amount_positive")]

    def __str__(self) -> str:
        return self.title
