"""allauth's adapter for the whole portal: accounts' adapter, and single logout after a SPID or CIE entry (the
portal's session is closed first, then the browser is sent to tell the identity provider)."""

from django.http import HttpRequest
from django.urls import reverse

from accounts.adapters import AccountAdapter as AccountsAdapter

from .views import SESSION_LOGOUT, SESSION_RECORD


class AccountAdapter(AccountsAdapter):
    def logout(self, request: HttpRequest) -> None:
        record_id = request.session.get(SESSION_RECORD)
        super().logout(request)
        if record_id:
            request.session[SESSION_LOGOUT] = record_id

    def get_logout_redirect_url(self, request: HttpRequest) -> str:
        """Asked before the logout (allauth's view): a SPID/CIE session goes on to tell its IdP."""
        if request.session.get(SESSION_RECORD) or request.session.get(SESSION_LOGOUT):
            return reverse("spid:logout")
        return super().get_logout_redirect_url(request)
