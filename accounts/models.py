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
