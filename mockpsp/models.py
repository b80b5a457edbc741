"""The fake platform's own state: GPD debt positions and options, Checkout carts, receipts and their delivery.

Nothing here is the portal's: these tables stand for pagoPA's databases, so the portal reaches them only over HTTP.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DebtPosition(models.Model):
    """A GPD payment position (PaymentPositionModel), with the platform's states."""

    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("bozza")
        PUBLISHED = "PUBLISHED", _("pubblicata")
        VALID = "VALID", _("valida")
        PARTIALLY_PAID = "PARTIALLY_PAID", _("pagata in parte")
        PAID = "PAID", _("pagata")
        REPORTED = "REPORTED", _("rendicontata")
        INVALID = "INVALID", _("annullata")
        EXPIRED = "EXPIRED", _("scaduta")

    organization_fiscal_code = models.CharField(_("codice fiscale dell'ente"), max_length=11)
    iupd = models.CharField(_("IUPD"), max_length=64)
    status = models.CharField(_("stato"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    type = models.CharField(_("tipo soggetto"), max_length=1, default="F")
    payer_fiscal_code = models.CharField(_("codice fiscale del debitore"), max_length=16)
    payer_name = models.CharField(_("debitore"), max_length=70)
    payer_email = models.CharField(_("e-mail del debitore"), max_length=254, blank=True)
    company_name = models.CharField(_("ente"), max_length=140)
    office_name = models.CharField(_("ufficio"), max_length=140, blank=True)
    validity_date = models.DateTimeField(_("valida dal"), null=True, blank=True)
    switch_to_expired = models.BooleanField(_("scade dopo l'ultima scadenza"), default=False)
    created_at = models.DateTimeField(_("inserita il"), default=timezone.now)
    published_at = models.DateTimeField(_("pubblicata il"), null=True, blank=True)
    paid_at = models.DateTimeField(_("pagata il"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("posizione debitoria (simulata)")
        verbose_name_plural = _("posizioni debitorie (simulate)")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization_fiscal_code", "iupd"], name="mockpsp_position_iupd_unique")
        ]

    def __str__(self) -> str:
        return self.iupd


class PaymentOption(models.Model):
    """One payment option (the single payment or a rata), with its own IUV and NAV."""

    class Status(models.TextChoices):
        UNPAID = "PO_UNPAID", _("da pagare")
        PAID = "PO_PAID", _("pagata")
        REPORTED = "PO_REPORTED", _("rendicontata")

    position = models.ForeignKey(DebtPosition, on_delete=models.CASCADE, related_name="options")
    iuv = models.CharField(_("IUV"), max_length=17, unique=True)
    nav = models.CharField(_("codice avviso"), max_length=18, unique=True)
    amount_cents = models.PositiveBigIntegerField(_("importo (centesimi)"))
    fee_cents = models.PositiveBigIntegerField(_("commissione dell'ente (centesimi)"), default=0)
    due_date = models.DateField(_("scadenza"))
    description = models.CharField(_("causale"), max_length=140)
    is_partial_payment = models.BooleanField(_("rata"), default=False)
    status = models.CharField(_("stato"), max_length=24, choices=Status.choices, default=Status.UNPAID)
    transfers = models.JSONField(_("trasferimenti"), default=list)
    paid_at = models.DateTimeField(_("pagata il"), null=True, blank=True)

    class Meta:
        verbose_name = _("opzione di pagamento (simulata)")
        verbose_name_plural = _("opzioni di pagamento (simulate)")
        ordering = ["position", "due_date", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount_cents__gte=1), name="mockpsp_option_amount_min")]

    def __str__(self) -> str:
        return self.nav


class Checkout(models.Model):
    """A cart opened through `POST /checkout/ec/v2/carts`: 1-5 notices, the return URLs, and how it ended."""

    class State(models.TextChoices):
        OPEN = "open", _("aperto")
        PAID = "paid", _("pagato")
        DECLINED = "declined", _("rifiutato")
        TIMED_OUT = "timeout", _("esito in attesa")
        CANCELLED = "cancelled", _("annullato")
        FAILED = "failed", _("non riuscito")

    token = models.CharField(max_length=32, unique=True)
    items = models.JSONField(_("avvisi"), default=list)
    return_ok_url = models.CharField(max_length=500)
    return_cancel_url = models.CharField(max_length=500)
    return_error_url = models.CharField(max_length=500)
    return_waiting_url = models.CharField(max_length=500, blank=True)
    email = models.CharField(_("e-mail per la ricevuta"), max_length=254, blank=True)
    id_cart = models.CharField(_("identificativo del carrello dell'ente"), max_length=64, blank=True)
    state = models.CharField(_("stato"), max_length=10, choices=State.choices, default=State.OPEN)
    psp_id = models.CharField(_("PSP"), max_length=35, blank=True)
    payment_method = models.CharField(_("metodo"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("creato il"), default=timezone.now)
    closed_at = models.DateTimeField(_("chiuso il"), null=True, blank=True)

    class Meta:
        verbose_name = _("carrello (simulato)")
        verbose_name_plural = _("carrelli (simulati)")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.token

    @property
    def total_cents(self) -> int:
        return sum(int(item["amount"]) for item in self.items)


class Receipt(models.Model):
    """A ctReceiptV2-shaped receipt for one paid option, as the platform keeps it (also pullable)."""

    receipt_id = models.CharField(_("identificativo ricevuta"), max_length=64, unique=True)
    option = models.ForeignKey(PaymentOption, on_delete=models.CASCADE, related_name="receipts")
    checkout = models.ForeignKey(Checkout, on_delete=models.SET_NULL, null=True, blank=True, related_name="receipts")
    body = models.JSONField(_("contenuto"))
    created_at = models.DateTimeField(_("creata il"), default=timezone.now)
    # How the PSP reports it in its reconciliation flow (the control page changes these to test the mismatches).
    fdr_excluded = models.BooleanField(_("tolta dal flusso di rendicontazione"), default=False)
    fdr_amount_cents = models.PositiveBigIntegerField(_("importo nel flusso (centesimi)"), null=True, blank=True)
    fdr_twice = models.BooleanField(_("ripetuta nel flusso"), default=False)
    fdr_revision = models.PositiveIntegerField(_("revisione del flusso"), default=1)

    class Meta:
        verbose_name = _("ricevuta (simulata)")
        verbose_name_plural = _("ricevute (simulate)")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.receipt_id


class ReceiptDelivery(models.Model):
    """One push of a receipt to the creditor's intake, retried with backoff until a 2xx answer."""

    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="deliveries")
    target_url = models.CharField(_("indirizzo"), max_length=500, blank=True)
    sequence = models.PositiveIntegerField(_("ordine di invio"), default=0)
    attempts = models.PositiveIntegerField(_("tentativi"), default=0)
    deliver_after = models.DateTimeField(_("da inviare dopo il"), default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(_("consegnata il"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("ultima risposta HTTP"), null=True, blank=True)
    last_error = models.CharField(_("ultimo errore"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("creata il"), default=timezone.now)

    class Meta:
        verbose_name = _("invio di ricevuta (simulato)")
        verbose_name_plural = _("invii di ricevute (simulati)")
        ordering = ["sequence", "pk"]

    def __str__(self) -> str:
        return f"#{self.pk}"


class Behaviour(models.Model):
    """How the fake misbehaves (one row): delays, duplicates, reordering and failures of receipt deliveries."""

    delay_seconds = models.PositiveIntegerField(_("ritardo delle ricevute (secondi)"), default=0)
    send_twice = models.BooleanField(_("invia ogni ricevuta due volte"), default=False)
    out_of_order = models.BooleanField(_("invia le ricevute di un carrello in ordine inverso"), default=False)
    fail_first_n = models.PositiveIntegerField(_("fallisci i primi N invii"), default=0)
    failures_left = models.PositiveIntegerField(_("fallimenti ancora da simulare"), default=0)
    check_digit_strict = models.BooleanField(_("controlla la cifra di controllo del codice avviso"), default=True)
    lose_pushes = models.BooleanField(
        _("perdi l'invio delle ricevute"), default=False, help_text=_("Le ricevute restano solo per il recupero.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("comportamento del simulatore")
        verbose_name_plural = _("comportamento del simulatore")

    def __str__(self) -> str:
        return str(_("comportamento del simulatore"))

    @classmethod
    def current(cls) -> "Behaviour":
        behaviour, _created = cls.objects.get_or_create(pk=1)
        return behaviour
