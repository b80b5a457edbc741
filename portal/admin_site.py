from urllib.parse import urlencode

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class PortalAdminSite(admin.AdminSite):
    """The office's back office. Staff sign in through the portal's login (rate limited, TOTP)."""

    site_header = _("Servizi scolastici — ufficio scuola")
    site_title = _("Ufficio scuola")
    index_title = _("Amministrazione")

    def login(self, request, extra_context=None):
        """The admin has no login form of its own: allauth's login is rate limited and asks for TOTP."""
        if request.user.is_authenticated:
            # Signed in, but not office staff: no loop back to the login page.
            messages.error(request, gettext("Il tuo account non ha accesso all'area dell'ufficio scuola."))
            return redirect("accounts:family")
        target = request.GET.get("next") or reverse("admin:index")
        return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")
