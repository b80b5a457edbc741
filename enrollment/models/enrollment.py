"""An enrollment of one child in one service for one school year, its medical diet, its history and the log of
accesses to health data."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalog import Route, School, SchoolClass, SchoolYear, Service, Stop
from .common import EURO


class Enrollment(models.Model):
    """One child in one service for one school year: a draft while the parent fills the wizard, then reviewed."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("bozza")
        SUBMITTED = "submitted", _("inviata")
        ACCEPTED = "accepted", _("accolta")
        WAITLISTED = "waitlisted", _("in lista d'attesa")
        REJECTED = "rejected", _("respinta")
        WITHDRAWN = "withdrawn", _("ritirata")

    TRANSITIONS = {
        Status.DRAFT: {Status.SUBMITTED, Status.WAITLISTED},
        Status.SUBMITTED: {Status.ACCEPTED, Status.REJECTED, Status.WAITLISTED, Status.WITHDRAWN},
        Status.WAITLISTED: {Status.SUBMITTED, Status.ACCEPTED, Status.REJECTED, Status.WITHDRAWN},
        Status.ACCEPTED: {Status.WITHDRAWN},
        Status.REJECTED: set(),
        Status.WITHDRAWN: set(),
    }
    OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.ACCEPTED, Status.WAITLISTED)
    SEAT_STATUSES = (Status.SUBMITTED, Status.ACCEPTED)

    class Diet(models.TextChoices):
        NONE = "none", _("nessuna dieta speciale")
        MEDICAL = "medical", _("dieta per motivi di salute")
        NO_PORK = "no_pork", _("senza maiale")
        NO_MEAT = "no_meat", _("senza carne")
        VEGETARIAN = "vegetarian", _("vegetariana")
        OTHER = "other", _("altra dieta etica o religiosa")

    class DietStatus(models.TextChoices):
        NONE = "none", _("nessuna richiesta")
        REQUESTED = "requested", _("richiesta")
        ACCEPTED = "accepted", _("accolta")
        REJECTED = "rejected", _("respinta")

    class Direction(models.TextChoices):
        BOTH = "both", _("andata e ritorno")
        OUTBOUND = "outbound", _("solo andata")
        RETURN = "return", _("solo ritorno")

    child = models.ForeignKey(
        "accounts.Child", on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("bambino")
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("servizio")
    )
    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("anno scolastico")
    )
    status = models.CharField(_("stato"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    step = models.CharField(_("passo del modulo"), max_length=20, blank=True)
    protocol = models.CharField(_("protocollo"), max_length=20, unique=True, null=True, blank=True)

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="enrollments", verbose_name=_("scuola")
    )
    school_class = models.ForeignKey(
        SchoolClass,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrollments",
        verbose_name=_("classe"),
    )
    resident = models.BooleanField(_("residente nel Comune"), null=True, blank=True)

    isee_presented = models.BooleanField(_("ISEE presentato"), null=True, blank=True)
    isee_amount = models.DecimalField(_("valore ISEE"), **EURO, null=True, blank=True)
    isee_protocol = models.CharField(_("protocollo DSU"), max_length=30, blank=True)
    isee_expires_on = models.DateField(_("scadenza ISEE"), null=True, blank=True)
    isee_purged_at = models.DateTimeField(
        _("ISEE cancellato il"),
        null=True,
        blank=True,
        help_text=_("Valore ISEE e protocollo DSU cancellati allo scadere dei tempi di conservazione."),
    )
    isee_expired_accepted = models.BooleanField(
        _("ISEE scaduto accettato dall'ufficio"),
        default=False,
        help_text=_("Se spuntato, la tariffa usa l'ISEE scaduto."),
    )

    diet = models.CharField(_("dieta"), max_length=10, choices=Diet.choices, default=Diet.NONE)
    diet_note = models.CharField(
        _("dieta: precisazione"), max_length=200, blank=True, help_text=_("Solo per diete etiche o religiose.")
    )
    diet_status = models.CharField(
        _("stato della dieta"), max_length=10, choices=DietStatus.choices, default=DietStatus.NONE
    )
    health_data_purged_at = models.DateTimeField(
        _("dati sanitari cancellati il"),
        null=True,
        blank=True,
        help_text=_("Indicazioni mediche e certificato cancellati allo scadere dei tempi di conservazione."),
    )

    route = models.ForeignKey(
        Route, on_delete=models.PROTECT, null=True, blank=True, related_name="enrollments", verbose_name=_("linea")
    )
    stop = models.ForeignKey(
        Stop, on_delete=models.PROTECT, null=True, blank=True, related_name="enrollments", verbose_name=_("fermata")
    )
    direction = models.CharField(_("percorso"), max_length=10, choices=Direction.choices, blank=True)
    pickup_adults = models.TextField(
        _("adulti autorizzati al ritiro"), blank=True, help_text=_("Nome, cognome e documento, uno per riga.")
    )

    sibling_rank = models.PositiveSmallIntegerField(_("ordine tra i fratelli"), default=1)
    exemption_percent = models.PositiveSmallIntegerField(_("esenzione (%)"), default=0)
    exemption_reason = models.CharField(_("motivo dell'esenzione"), max_length=200, blank=True)
    tariff_amount = models.DecimalField(_("tariffa"), **EURO, null=True, blank=True)
    tariff_steps = models.JSONField(_("calcolo della tariffa"), default=list, blank=True)

    waitlist_rank = models.PositiveIntegerField(
        _("posizione assegnata dall'ufficio"), null=True, blank=True, help_text=_("Vuoto: ordine di invio.")
    )
    rejection_reason = models.TextField(_("motivo del rifiuto"), blank=True)
    declarations_accepted_at = models.DateTimeField(_("dichiarazioni accettate il"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("creata da")
    )
    created_at = models.DateTimeField(_("creata il"), default=timezone.now)
    updated_at = models.DateTimeField(_("aggiornata il"), auto_now=True)
    submitted_at = models.DateTimeField(_("inviata il"), null=True, blank=True, db_index=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("inviata da"),
    )
    decided_at = models.DateTimeField(_("decisa il"), null=True, blank=True)

    class Meta:
        verbose_name = _("iscrizione")
        verbose_name_plural = _("iscrizioni")
        ordering = ["-created_at"]
        permissions = [("view_health_data", _("Può vedere diete mediche e certificati (dati sanitari)"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted", "accepted", "waitlisted", "rejected", "withdrawn"]),
                name="enrollment_status_valid",
            ),
            models.UniqueConstraint(
                fields=["child", "service", "school_year"],
                condition=Q(status__in=["draft", "submitted", "accepted", "waitlisted"]),
                name="enrollment_one_open_per_child_service_year",
            ),
            models.CheckConstraint(condition=Q(isee_amount__gte=0), name="enrollment_isee_positive"),
            models.CheckConstraint(condition=Q(tariff_amount__gte=0), name="enrollment_tariff_positive"),
            models.CheckConstraint(condition=Q(exemption_percent__lte=100), name="enrollment_exemption_percent"),
        ]
        indexes = [
            models.Index(fields=["service", "school_year", "status"], name="enrollment_service_status"),
            models.Index(fields=["school", "status"], name="enrollment_school_status"),
            models.Index(fields=["route", "status"], name="enrollment_route_status"),
        ]

    def __str__(self) -> str:
        return f"{self.protocol or _('bozza')} — {self.service} {self.school_year}"


class MedicalDiet(models.Model):
    """Health data of a minor: the medical diet and its certificate. Seen only with `view_health_data`, logged."""

    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.CASCADE, related_name="medical_diet", verbose_name=_("iscrizione")
    )
    details = models.TextField(_("indicazioni mediche"), help_text=_("Allergie, intolleranze, patologie."))
    certificate = models.FileField(_("certificato medico"), upload_to="health/%Y/", blank=True)
    certificate_name = models.CharField(_("nome del file"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("dieta medica")
        verbose_name_plural = _("diete mediche")

    def __str__(self) -> str:
        return str(_("Dieta medica"))


class HealthDataAccess(models.Model):
    """Every view or download of health data: who, when, which enrollment, what (append-only)."""

    class Action(models.TextChoices):
        VIEW = "view", _("visualizzazione")
        DOWNLOAD = "download", _("scaricamento del certificato")
        EXPORT = "export", _("elenco diete mediche")

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("iscrizione")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("chi")
    )
    action = models.CharField(_("azione"), max_length=10, choices=Action.choices)
    detail = models.CharField(_("dettaglio"), max_length=200, blank=True)
    at = models.DateTimeField(_("quando"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("accesso ai dati sanitari")
        verbose_name_plural = _("accessi ai dati sanitari")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} — {timezone.localtime(self.at):%d/%m/%Y %H:%M}"


# What each action of an enrollment's history reads as (the office's history, the admin's rows).
EVENT_ACTION_LABELS = {
    "draft_started": _("bozza iniziata"),
    "submitted": _("inviata"),
    "accepted": _("accolta"),
    "rejected": _("respinta"),
    "waitlisted": _("messa in lista d'attesa"),
    "unwaitlisted": _("tolta dalla lista d'attesa"),
    "seat_offered": _("posto liberato: accolta dalla lista d'attesa"),
    "waitlist_rank_set": _("posizione in lista d'attesa cambiata"),
    "diet_accepted": _("dieta accolta"),
    "diet_rejected": _("dieta respinta"),
    "exemption_set": _("esenzione"),
    "isee_expired_accepted": _("ISEE scaduto accettato"),
    "diet_medical_purged": _("dati sanitari cancellati (tempi di conservazione)"),
    "isee_purged": _("valore ISEE cancellato (tempi di conservazione)"),
    "withdrawn": _("ritirata"),
}


class EnrollmentEvent(models.Model):
    """Every status change of an enrollment: who, when, from, to, why (append-only)."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="events", verbose_name=_("iscrizione")
    )
    from_status = models.CharField(_("da"), max_length=10, choices=Enrollment.Status.choices, blank=True)
    to_status = models.CharField(_("a"), max_length=10, choices=Enrollment.Status.choices, blank=True)
    action = models.CharField(_("azione"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("eseguita da"),
    )
    note = models.TextField(_("nota"), blank=True)
    at = models.DateTimeField(_("quando"), default=timezone.now)

    class Meta:
        verbose_name = _("evento dell'iscrizione")
        verbose_name_plural = _("eventi delle iscrizioni")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action_label} — {timezone.localtime(self.at):%d/%m/%Y %H:%M}"

    @property
    def action_label(self) -> str:
        return str(EVENT_ACTION_LABELS.get(self.action, self.action))
