"""What is owed: notices (with their payment options and their history), the IUV bases, the carts."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import ServiceKind
from portal.files import RandomFileName
from portal.money import euro_format

from .. import pagopa
from .common import EURO


class IuvBase(models.Model):
    """One row per IUV base ever handed out: the auto-increment id is the base, so a number is never reused."""

    created_at = models.DateTimeField(_("creato il"), default=timezone.now)

    class Meta:
        verbose_name = _("base IUV")
        verbose_name_plural = _("basi IUV")

    def __str__(self) -> str:
        return str(self.pk)


class PaymentNotice(models.Model):
    """What is owed (a pagoPA debt position): payer, child, service, causale, amount, due date."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("da pagare")
        PAID = "paid", _("pagato")
        EXPIRED = "expired", _("scaduto")
        CANCELLED = "cancelled", _("annullato")

    TRANSITIONS = {
        Status.ISSUED: {Status.PAID, Status.EXPIRED, Status.CANCELLED},
        Status.EXPIRED: {Status.PAID, Status.CANCELLED},
        Status.CANCELLED: set(),
        Status.PAID: set(),
    }

    class Purpose(models.TextChoices):
        TOPUP = "topup", _("ricarica")
        FEE = "fee", _("retta o quota")

    class PlatformState(models.TextChoices):
        """The debt position as the platform knows it (GPD state names)."""

        NOT_SENT = "", _("non ancora inviato")
        VALID = "VALID", _("pubblicato")
        INVALID = "INVALID", _("annullato sulla piattaforma")
        PAID = "PAID", _("pagato")
        REPORTED = "REPORTED", _("rendicontato")

    iupd = models.CharField(_("identificativo posizione debitoria"), max_length=64, unique=True)
    status = models.CharField(_("stato"), max_length=10, choices=Status.choices, default=Status.ISSUED, db_index=True)
    purpose = models.CharField(_("tipo"), max_length=10, choices=Purpose.choices)
    service_kind = models.CharField(_("servizio"), max_length=10, choices=ServiceKind.choices)
    child = models.ForeignKey(
        "accounts.Child", on_delete=models.PROTECT, related_name="notices", verbose_name=_("bambino")
    )
    enrollment = models.ForeignKey(
        "enrollment.Enrollment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("iscrizione"),
    )
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("pagatore"),
    )
    payer_fiscal_code = models.CharField(_("codice fiscale del pagatore"), max_length=16)
    payer_name = models.CharField(_("nome del pagatore"), max_length=70)
    causale = models.CharField(_("causale"), max_length=140)
    amount = models.DecimalField(_("importo"), **EURO)
    due_date = models.DateField(_("scadenza"))
    period = models.DateField(
        _("mese di competenza"),
        null=True,
        blank=True,
        help_text=_("Per le rette mensili (asilo nido): il primo giorno del mese a cui si riferisce l'avviso."),
    )
    creditor = models.ForeignKey(
        "payments.Creditor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("ente creditore"),
        help_text=_("Vuoto: il Comune."),
    )
    school_event = models.ForeignKey(
        "payments.SchoolPaymentEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("evento della scuola"),
    )
    voluntary = models.BooleanField(
        _("volontario"), default=False, help_text=_("Un contributo volontario: mai «in ritardo».")
    )
    platform_state = models.CharField(
        _("stato sulla piattaforma"), max_length=10, choices=PlatformState.choices, default="", blank=True
    )
    platform_error = models.CharField(_("ultimo errore della piattaforma"), max_length=300, blank=True)
    flagged = models.BooleanField(
        _("da verificare"),
        default=False,
        help_text=_("Pagato dopo la scadenza o l'annullamento: l'ufficio controlla."),
    )
    pdf = models.FileField(_("avviso PDF"), upload_to=RandomFileName("notices", ".pdf"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("creato da"),
    )
    created_at = models.DateTimeField(_("creato il"), default=timezone.now, db_index=True)
    paid_at = models.DateTimeField(_("pagato il"), null=True, blank=True)
    closed_at = models.DateTimeField(_("chiuso il"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chiuso da"),
    )
    closed_reason = models.CharField(_("motivo dell'annullamento"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("avviso di pagamento")
        verbose_name_plural = _("avvisi di pagamento")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="notice_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["issued", "paid", "expired", "cancelled"]), name="notice_status_valid"
            ),
            # One monthly fee per enrollment and month (a cancelled one may be issued again).
            models.UniqueConstraint(
                fields=["enrollment", "period"],
                condition=~Q(status="cancelled"),
                name="notice_unique_enrollment_period",
            ),
        ]
        indexes = [
            models.Index(fields=["child", "status"], name="notice_child_status"),
            # The beat job's question: open notices not yet on the platform.
            models.Index(fields=["id"], condition=Q(status="issued", platform_state=""), name="notice_unsent"),
        ]

    def __str__(self) -> str:
        return f"{self.causale} — {euro_format(self.amount)}"

    @property
    def payable_options(self) -> list["PaymentOption"]:
        """What the family may pay online now, the default first: the whole amount (the single-payment option)
        while nothing is paid, and the next unpaid instalment (rata) of a notice in instalments. Reads the
        (prefetched) options."""
        options = sorted(self.options.all(), key=lambda option: option.instalment)
        choices = [option for option in options if option.instalment == 0 and not any(o.paid_at for o in options)]
        following = next((option for option in options if option.instalment and option.paid_at is None), None)
        return choices + ([following] if following is not None else [])

    @property
    def instalments_count(self) -> int:
        """How many instalments (rate) the notice has (0: one payment only)."""
        return sum(1 for option in self.options.all() if option.instalment)


class PaymentNoticeEvent(models.Model):
    """One step of a notice's life (append-only): who or what did it, when, why, and the status it moved."""

    class Action(models.TextChoices):
        ISSUED = "issued", _("emesso")
        PUBLISHED = "published", _("pubblicato sulla piattaforma")
        PLATFORM_REFUSED = "platform_refused", _("rifiutato dalla piattaforma")
        PLATFORM_RETRIED = "platform_retried", _("inviato di nuovo alla piattaforma")
        EXPIRED = "expired", _("scaduto")
        CANCELLED = "cancelled", _("annullato")
        PAID = "paid", _("pagato")
        PAYMENT_RECEIVED = "payment_received", _("pagamento ricevuto")
        AMOUNT_CHANGED = "amount_changed", _("importo scelto dalla famiglia")

    class ActorKind(models.TextChoices):
        USER = "user", _("utente")
        SYSTEM = "system", _("sistema")
        PLATFORM = "platform", _("piattaforma pagoPA")

    notice = models.ForeignKey(
        PaymentNotice, on_delete=models.PROTECT, related_name="events", verbose_name=_("avviso")
    )
    from_status = models.CharField(_("da stato"), max_length=10, choices=PaymentNotice.Status.choices, blank=True)
    to_status = models.CharField(_("a stato"), max_length=10, choices=PaymentNotice.Status.choices, blank=True)
    action = models.CharField(_("azione"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chi"),
    )
    actor_kind = models.CharField(_("tipo di autore"), max_length=10, choices=ActorKind.choices)
    reason = models.CharField(_("motivo"), max_length=300, blank=True)
    at = models.DateTimeField(_("quando"), default=timezone.now)

    class Meta:
        verbose_name = _("evento dell'avviso")
        verbose_name_plural = _("eventi dell'avviso")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["notice", "at"], name="notice_event_notice_at")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} — {timezone.localtime(self.at):%d/%m/%Y %H:%M}"


class PaymentOption(models.Model):
    """One way to pay a notice: the single payment, or one instalment (rata), each with its own IUV."""

    notice = models.ForeignKey(
        PaymentNotice, on_delete=models.PROTECT, related_name="options", verbose_name=_("avviso")
    )
    iuv = models.CharField(_("IUV"), max_length=17, unique=True)
    notice_number = models.CharField(_("codice avviso"), max_length=18, unique=True)
    amount = models.DecimalField(_("importo"), **EURO)
    due_date = models.DateField(_("scadenza"))
    instalment = models.PositiveSmallIntegerField(
        _("rata"), default=0, help_text=_("0 = pagamento in un'unica soluzione.")
    )
    paid_at = models.DateTimeField(_("pagata il"), null=True, blank=True)

    class Meta:
        verbose_name = _("opzione di pagamento")
        verbose_name_plural = _("opzioni di pagamento")
        ordering = ["notice", "instalment"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="option_amount_positive"),
            models.UniqueConstraint(fields=["notice", "instalment"], name="option_unique_instalment"),
        ]

    def __str__(self) -> str:
        return self.notice_number

    @property
    def notice_number_grouped(self) -> str:
        """The notice number as printed, in groups of four digits."""
        return pagopa.notice_number_grouped(self.notice_number)


class Cart(models.Model):
    """A parent's attempt to pay 1-5 notices online; the return from the checkout never marks anything paid."""

    class Status(models.TextChoices):
        CREATED = "created", _("creato")
        PENDING = "pending", _("in pagamento")
        RETURNED_OK = "ok", _("pagamento riuscito, in conferma")
        CANCELLED = "cancelled", _("annullato")
        FAILED = "failed", _("non riuscito")

    public_id = models.CharField(_("identificativo pubblico"), max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="carts", verbose_name=_("utente")
    )
    notices = models.ManyToManyField(PaymentNotice, related_name="carts", verbose_name=_("avvisi"))
    status = models.CharField(_("stato"), max_length=10, choices=Status.choices, default=Status.CREATED)
    checkout_url = models.URLField(_("indirizzo del pagamento"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("creato il"), default=timezone.now)
    updated_at = models.DateTimeField(_("aggiornato il"), auto_now=True)

    class Meta:
        verbose_name = _("carrello")
        verbose_name_plural = _("carrelli")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.public_id
