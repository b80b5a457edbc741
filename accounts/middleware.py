from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _

from . import selectors, services

# Pages a user may open while a new version of the terms waits for acceptance.
CONSENT_EXEMPT_VIEWS = {
    "accounts:consent",
    "accounts:terms",
    "accounts:privacy",
    "account_logout",
    "set_language",
    "healthz",
    "accessibility",
    # the rights to one's data do not depend on accepting new terms
    "accounts:privacy_center",
    "accounts:privacy_export",
    "accounts:deletion_request",
}


class ConsentRequiredMiddleware(MiddlewareMixin):
    """A signed-in user who has not accepted the current terms and privacy notice must do so first."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated or request.resolver_match is None:
            return None
        if request.resolver_match.view_name in CONSENT_EXEMPT_VIEWS:
            return None
        if selectors.consent_is_complete(user=request.user):
            return None
        return redirect(f"{reverse('accounts:consent')}?{urlencode({'next': request.get_full_path()})}")


class StaffMfaRequiredMiddleware(MiddlewareMixin):
    """Staff enter the admin only with two-factor authentication (TOTP) activated, and activate it only after
    confirming a code e-mailed to them (a password alone must not be enough to enrol an app and enter)."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None:
            return None
        user = request.user
        if not (user.is_authenticated and user.is_staff):
            return None
        if match.view_name == "mfa_activate_totp":
            if selectors.user_has_totp(user=user) or services.staff_mfa_confirmation_is_valid(
                request=request, user=user
            ):
                return None
            return redirect("accounts:staff_mfa_email_code")
        if match.namespace != "admin":
            return None
        if selectors.user_has_totp(user=user):
            return None
        messages.warning(
            request,
            _(
                "Per entrare nell'amministrazione attiva prima la verifica in due passaggi "
                "con un'app di autenticazione."
            ),
        )
        return redirect("mfa_activate_totp")
