"""The identity providers offered on the login page."""

import secrets

from django import template

from ..models import IdentityProvider, LoginRecord

register = template.Library()


@register.simple_tag
def spid_identity_providers() -> list[IdentityProvider]:
    """The active IdPs in a new random order at every page (AgID's rule for the button: no IdP favoured)."""
    idps = list(IdentityProvider.objects.filter(active=True))
    secrets.SystemRandom().shuffle(idps)
    return idps


@register.simple_tag
def spid_last_entry(user) -> LoginRecord | None:
    """How the user entered last (the sign-in of this very session included)."""
    return LoginRecord.objects.filter(user=user).first() if getattr(user, "pk", None) else None
