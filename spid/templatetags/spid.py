"""The identity providers offered on the login page."""

import secrets

from django import template

from accounts import switch_off

from ..models import IdentityProvider, LoginRecord

register = template.Library()


@register.simple_tag
def spid_identity_providers() -> dict[str, list[IdentityProvider]]:
    """The active IdPs by kind: SPID's in a new random order at every page (AgID's rule for the button: no IdP
    favoured), CIE's apart (its own button)."""
    idps = list(IdentityProvider.objects.filter(active=True))
    secrets.SystemRandom().shuffle(idps)
    return {
        "spid": [idp for idp in idps if idp.kind == IdentityProvider.Kind.SPID],
        "cie": [idp for idp in idps if idp.kind == IdentityProvider.Kind.CIE],
    }


@register.simple_tag
def password_switch_off() -> dict[str, object]:
    """The Comune's switch-off, for the login page: sign-up open, password entries open, their last day."""
    return {
        "signup_open": switch_off.password_signup_open(),
        "login_open": switch_off.password_login_open(),
        "last_day": switch_off.password_login_last_day(),
    }


@register.simple_tag
def spid_last_entry(user) -> LoginRecord | None:
    """How the user entered last (the sign-in of this very session included)."""
    return LoginRecord.objects.filter(user=user).first() if getattr(user, "pk", None) else None
