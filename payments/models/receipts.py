"""What the platform sent: every receipt message as received, and the receipts that marked options paid."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.files import RandomFileName

from .common import EURO
from .notices import PaymentNotice, PaymentOption


class ReceiptMessage(models.Model):
    """Every body posted to the receipt intake, unmodified, with what the portal made of it (append-only)."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("accettata")
        DUPLICATE = "duplicate", _("duplicata")
        FLAGGED = "flagged", _("accettata, da verificare")
        REJECTED = "rejected", _("rifiutata")

    class Refusal(models.TextChoices):
        """Why a call was refused before anything about it was believed (only for calls not authenticated)."""

        SIGNATURE = "signature", _("firma mancante o non valida")
        MALFORMED = "malformed", _("non è JSON valido")
        TOO_DEEP = "too_deep", _("JSON annidato troppo in profondità")
        SHAPE = "shape", _("non ha la forma di una ricevuta")
        TOO_LARGE = "too_large", _("contenuto troppo grande")
        XML = "xml", _("non è XML ben formato")
        DOCTYPE = "doctype", _("XML con DOCTYPE o entità (non ammesso)")
        SCHEMA = "schema", _("non rispetta lo schema XSD di pagoPA")
        CLIENT_CERT = "client_cert", _("certificato client mancante o non ammesso")

    class Channel(models.TextChoices):
        """How the receipt reached the portal."""

        JSON = "json", _("JSON firmato (piattaforma di prova)")
        SOAP = "soap", _("paSendRTV2 alla stazione (SOAP)")
        PULL = "pull", _("recuperata dal servizio ricevute")

    received_at = models.DateTimeField(_("ricevuta il"), default=timezone.now, db_index=True)
    # Whole for a call that proved who sent it; only the first kilobyte of one that did not (a refused call).
    body = models.TextField(_("contenuto"))
    body_sha256 = models.CharField(_("impronta SHA-256 del contenuto"), max_length=64, blank=True)
    body_length = models.PositiveIntegerField(_("lunghezza del contenuto (byte)"), null=True, blank=True)
    authenticated = models.BooleanField(
        _("mittente verificato"),
        default=True,
        help_text=_("No: la firma mancava o era sbagliata; si conservano solo impronta, lunghezza e primo kilobyte."),
    )
    signature = models.CharField(_("firma"), max_length=200, blank=True)
    outcome = models.CharField(_("esito"), max_length=10, choices=Outcome.choices)
    reason = models.CharField(_("motivo"), max_length=300, blank=True)
    refusal = models.CharField(_("codice del rifiuto"), max_length=12, choices=Refusal.choices, blank=True)
    channel = models.CharField(_("canale"), max_length=4, choices=Channel.choices, default=Channel.JSON)
    remote_addr = models.GenericIPAddressField(_("indirizzo del mittente"), null=True, blank=True)

    class Meta:
        verbose_name = _("messaggio di ricevuta")
        verbose_name_plural = _("messaggi di ricevuta")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["authenticated", "received_at"], name="receipt_message_refused_idx")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} — {timezone.localtime(self.received_at):%d/%m/%Y %H:%M:%S}"


class Receipt(models.Model):
    """A pagoPA receipt (RT) accepted for one payment option: the only thing that marks a notice paid."""

    receipt_id = models.CharField(_("identificativo ricevuta"), max_length=64, unique=True)
    message = models.ForeignKey(
        ReceiptMessage, on_delete=models.PROTECT, related_name="+", verbose_name=_("messaggio")
    )
    notice = models.ForeignKey(
        PaymentNotice, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("avviso")
    )
    option = models.ForeignKey(
        PaymentOption, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("opzione")
    )
    iuv = models.CharField(_("IUV"), max_length=17)
    notice_number = models.CharField(_("codice avviso"), max_length=18)
    creditor_fiscal_code = models.CharField(_("codice fiscale dell'ente"), max_length=11)
    amount = models.DecimalField(_("importo"), **EURO)
    fee = models.DecimalField(_("commissione"), **EURO, default=0)
    psp_id = models.CharField(_("codice PSP"), max_length=35)
    psp_name = models.CharField(_("PSP"), max_length=140)
    psp_fiscal_code = models.CharField(_("codice fiscale del PSP"), max_length=16, blank=True)
    payment_method = models.CharField(_("metodo"), max_length=35, blank=True)
    payer_fiscal_code = models.CharField(_("codice fiscale di chi ha pagato"), max_length=16, blank=True)
    payer_name = models.CharField(_("chi ha pagato"), max_length=70, blank=True)
    paid_at = models.DateTimeField(_("pagato il"))
    application_date = models.DateField(_("data applicativa"), null=True, blank=True)
    received_at = models.DateTimeField(_("ricevuta il"), default=timezone.now)
    flagged = models.BooleanField(_("da verificare"), default=False)
    flag_reason = models.CharField(_("motivo della verifica"), max_length=200, blank=True)
    pdf = models.FileField(_("ricevuta PDF"), upload_to=RandomFileName("receipts", ".pdf"), blank=True)

    class Meta:
        verbose_name = _("ricevuta")
        verbose_name_plural = _("ricevute")
        ordering = ["-paid_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="receipt_amount_positive")]
        indexes = [models.Index(fields=["paid_at"], name="receipt_paid_at")]  # the daily report

    def __str__(self) -> str:
        return self.receipt_id
