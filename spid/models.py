"""The identity providers the portal accepts, the authentication requests it made (each answered once), and how
each user last entered."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdentityProvider(models.Model):
    class Kind(models.TextChoices):
        SPID = "spid", _("SPID")
        CIE = "cie", _("CIE")

    kind = models.CharField(_("tipo"), max_length=4, choices=Kind.choices, default=Kind.SPID)
    entity_id = models.CharField(_("entity ID"), max_length=300, unique=True)
    name = models.CharField(_("nome"), max_length=100)
    metadata_xml = models.TextField(_("metadata"))
    active = models.BooleanField(_("attivo"), default=True)
    order = models.PositiveSmallIntegerField(_("ordine"), default=0)
    test = models.BooleanField(_("di prova"), default=False, help_text=_("L'IdP di prova del portale."))
    refreshed_at = models.DateTimeField(_("metadata aggiornati il"), null=True, blank=True)

    class Meta:
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity provider (SPID e CIE)")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class SpidRequest(models.Model):
    """A request the portal sent (AuthnRequest or LogoutRequest): its ID is accepted once, as InResponseTo, within
    its lifetime."""

    class Kind(models.TextChoices):
        AUTHN = "authn", _("accesso")
        LOGOUT = "logout", _("uscita")

    kind = models.CharField(_("tipo"), max_length=6, choices=Kind.choices, default=Kind.AUTHN)
    request_id = models.CharField(_("ID della richiesta"), max_length=100, unique=True)
    idp = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="+", verbose_name=_("IdP"))
    level = models.PositiveSmallIntegerField(_("livello richiesto"))
    next_url = models.CharField(_("pagina di arrivo"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("creata il"), default=timezone.now)
    answered_at = models.DateTimeField(_("risposta il"), null=True, blank=True)

    class Meta:
        verbose_name = _("richiesta SPID")
        verbose_name_plural = _("richieste SPID")

    def __str__(self) -> str:
        return self.request_id


class SeenAssertion(models.Model):
    """An assertion already used to enter: a replay is refused."""

    assertion_id = models.CharField(_("ID dell'asserzione"), max_length=100, unique=True)
    at = models.DateTimeField(_("quando"), default=timezone.now)

    class Meta:
        verbose_name = _("asserzione usata")
        verbose_name_plural = _("asserzioni usate")

    def __str__(self) -> str:
        return self.assertion_id


class LoginRecord(models.Model):
    class Method(models.TextChoices):
        SPID = "spid", _("SPID")
        CIE = "cie", _("CIE")
        PASSWORD = "password", _("password")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_records", verbose_name=_("utente")
    )
    method = models.CharField(_("modo"), max_length=10, choices=Method.choices)
    level = models.PositiveSmallIntegerField(_("livello SPID"), null=True, blank=True)
    idp = models.CharField(_("identity provider"), max_length=100, blank=True)
    at = models.DateTimeField(_("quando"), default=timezone.now)
    # For single logout: the session this entry opened, and how the IdP named it (NameID, SessionIndex).
    session_key = models.CharField(_("sessione"), max_length=40, blank=True, db_index=True)
    idp_entity_id = models.CharField(_("entity ID dell'IdP"), max_length=300, blank=True)
    name_id = models.TextField(_("NameID"), blank=True)
    session_index = models.CharField(_("SessionIndex"), max_length=200, blank=True, db_index=True)
    logged_out_at = models.DateTimeField(_("uscita il"), null=True, blank=True)

    class Meta:
        verbose_name = _("accesso")
        verbose_name_plural = _("accessi")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.method} {self.at:%Y-%m-%d %H:%M}"
