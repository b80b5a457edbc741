"""The fake IO's state: citizens' profiles, the messages services sent them, and how the fake misbehaves on demand."""

from django.db import models
from django.utils import timezone


class Profile(models.Model):
    """A citizen as IO knows them: on IO or not, inbox on or off, the services they switched off."""

    fiscal_code = models.CharField("codice fiscale", max_length=16, unique=True)
    inbox_enabled = models.BooleanField("messaggi attivi", default=True)
    blocked_services = models.JSONField("servizi disattivati", default=list, blank=True)

    class Meta:
        verbose_name = "profilo IO"
        verbose_name_plural = "profili IO"

    def __str__(self) -> str:
        return self.fiscal_code


class Message(models.Model):
    class Status(models.TextChoices):
        ACCEPTED = "ACCEPTED"
        PROCESSED = "PROCESSED"
        REJECTED = "REJECTED"

    id = models.CharField("identificativo", primary_key=True, max_length=26)
    service = models.CharField("servizio", max_length=20)
    fiscal_code = models.CharField("codice fiscale", max_length=16, db_index=True)
    content = models.JSONField("contenuto")
    status = models.CharField("stato", max_length=10, choices=Status.choices)
    created_at = models.DateTimeField("ricevuto il", default=timezone.now)

    class Meta:
        verbose_name = "messaggio IO"
        verbose_name_plural = "messaggi IO"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.id


class Behaviour(models.Model):
    """One row: the fake down (500 to everything), or answering 429 until a moment."""

    down = models.BooleanField("non disponibile (500)", default=False)
    throttled_until = models.DateTimeField("429 fino a", null=True, blank=True)
    max_payment_cents = models.PositiveBigIntegerField("importo massimo dei servizi (centesimi)", default=100_000_00)

    class Meta:
        verbose_name = "comportamento"
        verbose_name_plural = "comportamento"

    def __str__(self) -> str:
        return "comportamento del simulatore IO"

    @classmethod
    def current(cls) -> "Behaviour":
        return cls.objects.get_or_create(pk=1)[0]
