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
