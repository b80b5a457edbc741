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
        # For a parent who chose IO only: kept until IO takes the message (then not needed) or cannot (then sent).
        HELD = "held", _("in attesa dell'esito IO")
        NOT_NEEDED = "not_needed", _("non necessaria (arrivata in IO)")

    TRANSITIONS = {
        Status.PENDING: {Status.SENT, Status.FAILED},
        Status.FAILED: {Status.PENDING},
        Status.HELD: {Status.PENDING, Status.NOT_NEEDED},
    }

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
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent", "failed", "held", "not_needed"]), name="outbox_status_valid"
            ),
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


class NotifyKind(models.TextChoices):
    """The messages a parent chooses a channel for."""

    ENROLLMENT = "enrollment", _("Esito delle domande di iscrizione")
    NOTICE = "notice", _("Nuovi avvisi di pagamento")
    PAYMENT = "payment", _("Pagamenti ricevuti")
    BALANCE = "balance", _("Credito della mensa basso o in negativo")


class NotifyChannel(models.TextChoices):
    EMAIL = "email", _("Solo e-mail")
    IO = "io", _("Solo app IO")
    BOTH = "both", _("E-mail e app IO")


class NotificationDefault(models.Model):
    """The office's channel for a kind of message, for parents who have not chosen (else NOTIFY_DEFAULT_CHANNEL)."""

    kind = models.CharField(_("messaggi"), max_length=12, choices=NotifyKind.choices, unique=True)
    channel = models.CharField(_("canale predefinito"), max_length=6, choices=NotifyChannel.choices)

    class Meta:
        verbose_name = _("canale predefinito dei messaggi")
        verbose_name_plural = _("canali predefiniti dei messaggi")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.channel}"


class NotificationPreference(models.Model):
    """A parent's channel for one kind of message (none: the office's NotificationDefault, else
    NOTIFY_DEFAULT_CHANNEL)."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="notification_preferences", verbose_name=_("utente")
    )
    kind = models.CharField(_("messaggi"), max_length=12, choices=NotifyKind.choices)
    channel = models.CharField(_("canale"), max_length=6, choices=NotifyChannel.choices)
    updated_at = models.DateTimeField(_("modificata il"), auto_now=True)

    class Meta:
        verbose_name = _("preferenza di notifica")
        verbose_name_plural = _("preferenze di notifica")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notify_preference_unique")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.channel}"


class IoMessage(models.Model):
    """A message for the app IO, written in the same transaction as the action (like OutboxEmail) and handed to IO
    after commit: profile check, then the message; retried with backoff on 429/5xx/no answer, never sent twice
    (the id IO returns is stored). A held e-mail (the parent chose IO only) goes out when IO cannot take it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("da inviare")
        SENT = "sent", _("consegnato a IO")
        NOT_ON_IO = "not_on_io", _("il cittadino non è su IO")
        NOT_ALLOWED = "not_allowed", _("il cittadino ha disattivato il servizio")
        NO_SERVICE = "no_service", _("servizio IO non configurato")
        INVALID = "invalid", _("messaggio non valido")
        FAILED = "failed", _("rifiutato da IO")
        UNCERTAIN = "uncertain", _("esito incerto (nessuna risposta)")
        GIVEN_UP = "given_up", _("IO non raggiungibile: rinunciato")

    created_at = models.DateTimeField(_("creato il"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("tipo"), max_length=12, choices=NotifyKind.choices)
    service = models.CharField(_("servizio IO"), max_length=10, help_text=_("mensa, trasporto o nido."))
    fiscal_code = models.CharField(_("codice fiscale"), max_length=16)
    subject = models.CharField(_("oggetto"), max_length=200)
    markdown = models.TextField(_("testo"))
    payment_data = models.JSONField(_("dati di pagamento"), null=True, blank=True)
    due_date = models.DateTimeField(_("scadenza"), null=True, blank=True)
    status = models.CharField(_("stato"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("tentativi"), default=0)
    next_attempt_at = models.DateTimeField(_("prossimo tentativo"), null=True, blank=True)
    last_error = models.CharField(_("ultimo errore"), max_length=500, blank=True)
    io_message_id = models.CharField(_("identificativo IO"), max_length=32, blank=True)
    sent_at = models.DateTimeField(_("consegnato il"), null=True, blank=True)
    email = models.ForeignKey(
        OutboxEmail,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("e-mail trattenuta"),
    )

    class Meta:
        verbose_name = _("messaggio IO")
        verbose_name_plural = _("messaggi IO")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="io_message_due")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.fiscal_code[:6]}…"
