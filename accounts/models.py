from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .managers import UserManager


class User(AbstractBaseUser, PermissionsMixin):
    """An adult: a parent, a delegate or office staff. Signs in with codice fiscale or e-mail."""

    codice_fiscale = models.CharField(
        _("codice fiscale"),
        max_length=16,
        unique=True,
        help_text=_("16 caratteri, salvato in maiuscolo."),
        error_messages={"unique": _("Esiste già un utente con questo codice fiscale.")},
    )
    email = models.EmailField(_("e-mail"), unique=True)
    first_name = models.CharField(_("nome"), max_length=100)
    last_name = models.CharField(_("cognome"), max_length=100)
    phone = models.CharField(_("telefono"), max_length=20, blank=True)
    postal_address = models.CharField(
        _("indirizzo di residenza"),
        max_length=140,
        blank=True,
        help_text=_("Via e numero civico, CAP, comune (provincia): compare sugli avvisi di pagamento stampati."),
    )
    is_staff = models.BooleanField(
        _("personale dell'ufficio"), default=False, help_text=_("Può entrare nell'amministrazione.")
    )
    is_active = models.BooleanField(_("attivo"), default=True)
    date_joined = models.DateTimeField(_("registrato il"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "codice_fiscale"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email", "first_name", "last_name"]

    class Meta:
        verbose_name = _("utente")
        verbose_name_plural = _("utenti")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(codice_fiscale__regex=r"^[A-Z0-9]{16}$"), name="user_codice_fiscale_upper_16"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_full_name()} ({self.codice_fiscale})"

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name


class LegalDocument(models.Model):
    """A version of the terms of service or of the privacy notice, written and published by the office.

    Publishing a new version asks every user to accept it at their next request.
    """

    class Kind(models.TextChoices):
        TERMS = "terms", _("Condizioni d'uso")
        PRIVACY = "privacy", _("Informativa privacy")

    kind = models.CharField(_("tipo"), max_length=10, choices=Kind.choices)
    version = models.CharField(_("versione"), max_length=20, help_text=_("Ad esempio 2026.1"))
    title = models.CharField(_("titolo"), max_length=200)
    body = models.TextField(_("testo"), help_text=_("Testo semplice; le righe vuote separano i paragrafi."))
    published_at = models.DateTimeField(
        _("pubblicato il"), null=True, blank=True, help_text=_("Vuoto finché è una bozza.")
    )
    created_at = models.DateTimeField(_("creato il"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("creato da"),
    )

    class Meta:
        verbose_name = _("documento legale")
        verbose_name_plural = _("documenti legali")
        ordering = ["kind", "-published_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="legal_document_kind_version_unique"),
            models.CheckConstraint(condition=Q(kind__in=["terms", "privacy"]), name="legal_document_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.version}"


class Consent(models.Model):
    """Who accepted which version of a legal document, and when (never edited, never deleted)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents", verbose_name=_("utente")
    )
    document = models.ForeignKey(
        LegalDocument, on_delete=models.PROTECT, related_name="consents", verbose_name=_("documento")
    )
    accepted_at = models.DateTimeField(_("accettato il"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("indirizzo IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("consenso")
        verbose_name_plural = _("consensi")
        ordering = ["-accepted_at"]
        constraints = [models.UniqueConstraint(fields=["user", "document"], name="consent_user_document_unique")]

    def __str__(self) -> str:
        return f"{self.user} — {self.document}"


class Child(models.Model):
    """A child of the families the portal serves; reached only through a Guardianship."""

    # Not a field: set by selectors.child_get_for_user, the role of the user who asked for the child.
    viewer_role: str

    class Sex(models.TextChoices):
        FEMALE = "F", _("femmina")
        MALE = "M", _("maschio")

    codice_fiscale = models.CharField(_("codice fiscale"), max_length=16, unique=True)
    first_name = models.CharField(_("nome"), max_length=100)
    last_name = models.CharField(_("cognome"), max_length=100)
    birth_date = models.DateField(_("data di nascita"))
    sex = models.CharField(_("sesso"), max_length=1, choices=Sex.choices)
    school = models.ForeignKey(
        "enrollment.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ultima scuola nota"),
    )
    class_name = models.CharField(_("ultima classe nota"), max_length=20, blank=True)
    office_notes = models.TextField(_("note dell'ufficio"), blank=True)
    imported_from = models.ForeignKey(
        "accounts.ImportedAdult",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("adulto importato"),
    )
    created_at = models.DateTimeField(_("creato il"), auto_now_add=True)

    class Meta:
        verbose_name = _("bambino")
        verbose_name_plural = _("bambini")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(codice_fiscale__regex=r"^[A-Z0-9]{16}$"), name="child_codice_fiscale_upper_16"
            ),
            models.CheckConstraint(condition=Q(sex__in=["F", "M"]), name="child_sex_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.codice_fiscale})"


class Guardianship(models.Model):
    """An adult allowed to act for a child: the adult of reference (one per child) or a delegate."""

    class Role(models.TextChoices):
        REFERENCE = "reference", _("adulto di riferimento")
        DELEGATE = "delegate", _("delegato")

    adult = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="guardianships", verbose_name=_("adulto")
    )
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="guardianships", verbose_name=_("bambino"))
    role = models.CharField(_("ruolo"), max_length=10, choices=Role.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("concesso da"),
    )
    granted_at = models.DateTimeField(_("concesso il"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revocato il"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revocato da"),
    )

    class Meta:
        verbose_name = _("tutela")
        verbose_name_plural = _("tutele")
        ordering = ["child", "role", "granted_at"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=["reference", "delegate"]), name="guardianship_role_valid"),
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(role="reference", revoked_at__isnull=True),
                name="guardianship_one_reference_per_child",
            ),
            models.UniqueConstraint(
                fields=["adult", "child"], condition=Q(revoked_at__isnull=True), name="guardianship_active_unique"
            ),
        ]
        indexes = [models.Index(fields=["adult", "revoked_at"], name="guardianship_adult_active")]

    def __str__(self) -> str:
        return f"{self.adult} → {self.child} ({self.get_role_display()})"


class FamilyEvent(models.Model):
    """The log of every change to who may act for a child: who did it, when and why (append-only)."""

    class Action(models.TextChoices):
        CHILD_ADDED = "child_added", _("bambino aggiunto")
        CHILD_CLAIMED = "child_claimed", _("bambino collegato con codice di attivazione")
        CHILD_IMPORTED = "child_imported", _("bambino importato")
        DELEGATE_INVITED = "delegate_invited", _("delegato invitato")
        DELEGATE_ACCEPTED = "delegate_accepted", _("delega accettata")
        DELEGATE_REVOKED = "delegate_revoked", _("delega revocata")
        DELEGATE_DECLINED = "delegate_declined", _("invito a delegato rifiutato")
        REFERENCE_CHANGED = "reference_changed", _("adulto di riferimento cambiato")
        LETTER_ISSUED = "letter_issued", _("lettera di attivazione emessa")

    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, null=True, blank=True, related_name="events", verbose_name=_("bambino")
    )
    action = models.CharField(_("azione"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("eseguito da"),
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("adulto interessato"),
    )
    reason = models.TextField(_("motivo"), blank=True)
    at = models.DateTimeField(_("quando"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("evento della famiglia")
        verbose_name_plural = _("eventi delle famiglie")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} — {timezone.localtime(self.at):%d/%m/%Y %H:%M}"


class ImportedAdult(models.Model):
    """An adult of reference the Comune already knew (legacy import), until they register and claim."""

    codice_fiscale = models.CharField(_("codice fiscale"), max_length=16, unique=True)
    first_name = models.CharField(_("nome"), max_length=100)
    last_name = models.CharField(_("cognome"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    activation_code_digest = models.CharField(_("impronta del codice di attivazione"), max_length=64, blank=True)
    letter_issued_at = models.DateTimeField(_("lettera emessa il"), null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("collegato all'utente"),
    )
    claimed_at = models.DateTimeField(_("collegato il"), null=True, blank=True)
    imported_at = models.DateTimeField(_("importato il"), default=timezone.now)

    class Meta:
        verbose_name = _("adulto importato")
        verbose_name_plural = _("adulti importati")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.codice_fiscale})"


class Invitation(models.Model):
    """The adult of reference invites a second adult (by e-mail and CF) to become delegate."""

    inviter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="invitations_sent",
        verbose_name=_("invitante"),
    )
    children = models.ManyToManyField(Child, related_name="invitations", verbose_name=_("bambini"))
    email = models.EmailField(_("e-mail dell'invitato"))
    codice_fiscale = models.CharField(_("codice fiscale dell'invitato"), max_length=16)
    token = models.CharField(_("codice"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("creato il"), default=timezone.now)
    expires_at = models.DateTimeField(_("scade il"))
    accepted_at = models.DateTimeField(_("accettato il"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accettato da"),
    )
    revoked_at = models.DateTimeField(_("revocato il"), null=True, blank=True)
    declined_at = models.DateTimeField(_("rifiutato il"), null=True, blank=True)

    class Meta:
        verbose_name = _("invito")
        verbose_name_plural = _("inviti")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.inviter} → {self.email}"


class DeletionRequest(models.Model):
    """A user's request to delete their account, handled by the office."""

    class Status(models.TextChoices):
        PENDING = "pending", _("da gestire")
        DELETED = "deleted", _("account cancellato")
        ANONYMISED = "anonymised", _("account anonimizzato")
        REJECTED = "rejected", _("respinta")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deletion_requests",
        verbose_name=_("utente"),
    )
    user_label = models.CharField(_("richiedente"), max_length=200, help_text=_("Com'era al momento della richiesta."))
    reason = models.TextField(_("motivo"), blank=True)
    status = models.CharField(_("stato"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(_("richiesta il"), default=timezone.now)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gestita da"),
    )
    handled_at = models.DateTimeField(_("gestita il"), null=True, blank=True)
    outcome_note = models.TextField(_("esito"), blank=True)

    class Meta:
        verbose_name = _("richiesta di cancellazione")
        verbose_name_plural = _("richieste di cancellazione")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "deleted", "anonymised", "rejected"]), name="deletion_status_valid"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="pending"), name="deletion_one_pending_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_label} ({self.get_status_display()})"


class StaffViewAuthenticator(Authenticator):
    """allauth's authenticator as the office sees it in the admin: the same rows, with Italian names."""

    class Meta:
        proxy = True
        verbose_name = _("dispositivo di verifica (TOTP)")
        verbose_name_plural = _("dispositivi di verifica (TOTP)")
