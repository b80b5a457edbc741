from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxEmail(models.Model):
    """An e-mail written in the same transaction as the action that causes it.

    A Celery task delivers it after commit; a beat job re-dispatches rows still pending, so a broker
    outage delays an e-mail and never drops it. Delivery locks the row and skips it once sent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("da inviare")
        SENT = "sent", _("inviata")
        FAILED = "failed", _("non inviata")

    TRANSITIONS = {Status.PENDING: {Status.SENT, Status.FAILED}, Status.FAILED: {Status.PENDING}}

    created_at = models.DateTimeField(_("creata il"), auto_now_add=True, db_index=True)
    status = models.CharField(_("stato"), max_length=10, choices=Status.choices, default=Status.PENDING)
    kind = models.CharField(_("tipo"), max_length=100, help_text=_("Il modello di e-mail usato."))
    from_email = models.CharField(_("mittente"), max_length=254)
    to = models.JSONField(_("destinatari"))
    subject = models.CharField(_("oggetto"), max_length=255)
    body_text = models.TextField(_("testo"))
    body_html = models.TextField(_("testo HTML"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("tentativi"), default=0)
    last_attempt_at = models.DateTimeField(_("ultimo tentativo"), null=True, blank=True)
    last_error = models.TextField(_("ultimo errore"), blank=True)
    sent_at = models.DateTimeField(_("inviata il"), null=True, blank=True)
    attachments = models.JSONField(
        _("allegati"),
        default=list,
        blank=True,
        help_text=_(
            "Documenti prodotti al momento dell'invio (es. la ricevuta PDF): nome del generatore e parametri."
        ),
    )

    class Meta:
        verbose_name = _("e-mail in uscita")
        verbose_name_plural = _("e-mail in uscita")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="outbox_status_created")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["pending", "sent", "failed"]), name="outbox_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"


class RetentionPolicy(models.Model):
    """How long the portal keeps special-category and unused data, set by the office (one row).

    The nightly purge (`retention_purge`) reads it; the privacy notice states the same periods.
    """

    health_data_months = models.PositiveSmallIntegerField(
        _("dati sanitari: mesi di conservazione"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_(
            "Indicazioni mediche e certificati delle diete per motivi di salute: cancellati questo numero di mesi "
            "dopo l'ultimo giorno dell'anno scolastico dell'iscrizione. Resta il tipo di dieta."
        ),
    )
    isee_months = models.PositiveSmallIntegerField(
        _("ISEE: mesi di conservazione"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_(
            "Valore ISEE e protocollo DSU: cancellati questo numero di mesi dopo l'ultimo giorno dell'anno "
            "scolastico dell'iscrizione. Restano la fascia ISEE, la tariffa e il suo calcolo."
        ),
    )
    unverified_account_days = models.PositiveSmallIntegerField(
        _("account non verificati: giorni di conservazione"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_(
            "Un account il cui indirizzo e-mail non è mai stato verificato è cancellato questo numero di giorni "
            "dopo la registrazione; il codice fiscale torna libero per una nuova registrazione."
        ),
    )
    refused_call_days = models.PositiveSmallIntegerField(
        _("chiamate rifiutate alla ricezione delle ricevute: giorni di conservazione"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_(
            "Di una chiamata senza firma valida si tengono impronta, lunghezza, primo kilobyte e indirizzo del "
            "mittente, per le verifiche di sicurezza: cancellati questo numero di giorni dopo la ricezione."
        ),
    )
    updated_at = models.DateTimeField(_("modificata il"), auto_now=True)

    class Meta:
        verbose_name = _("tempi di conservazione dei dati")
        verbose_name_plural = _("tempi di conservazione dei dati")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="retention_policy_single_row")]

    def __str__(self) -> str:
        return str(_("Tempi di conservazione dei dati"))


class RetentionRun(models.Model):
    """One run of the retention purge (nightly job or command): how many records each purger removed."""

    class Trigger(models.TextChoices):
        BEAT = "beat", _("notturna")
        COMMAND = "command", _("comando")

    started_at = models.DateTimeField(_("iniziata il"), db_index=True)
    finished_at = models.DateTimeField(_("finita il"), null=True, blank=True)
    trigger = models.CharField(_("avvio"), max_length=10, choices=Trigger.choices)
    dry_run = models.BooleanField(_("solo prova"), default=False, help_text=_("Contati, non cancellati."))
    counts = models.JSONField(_("record cancellati"), default=dict, help_text=_("Per ogni tipo di dato."))

    class Meta:
        verbose_name = _("cancellazione per conservazione")
        verbose_name_plural = _("cancellazioni per conservazione")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(condition=Q(trigger__in=["beat", "command"]), name="retention_run_trigger_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} {self.started_at:%d/%m/%Y %H:%M}"
