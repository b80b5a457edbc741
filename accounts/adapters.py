from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from portal.client_ip import client_ip
from portal.mail import email_enqueue

from . import switch_off
from .mfa_secrets import secret_decrypt, secret_encrypt
from .validators import validate_codice_fiscale, validate_email_length

# As allauth cuts the browser's name in its notifications.
USER_AGENT_MAX_LENGTH = 200


def user_display(user) -> str:
    """How allauth names a user in pages and e-mails: by name, never by codice fiscale."""
    return user.get_full_name() or user.email


class AccountAdapter(DefaultAccountAdapter):
    """allauth's extension points: the codice fiscale as username, and e-mail through the outbox."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """New password accounts only while the Comune allows them (PORTAL_PASSWORD_SIGNUP): after the switch-off
        new parents enter with SPID or CIE, and their account is made from their identity."""
        return switch_off.password_signup_open()

    def pre_login(self, request: HttpRequest, user, **kwargs) -> HttpResponse | None:
        """A password entry after the Comune closed them (PORTAL_PASSWORD_LOGIN): nobody is signed in; the page
        says to enter with SPID or CIE, where the same account (same codice fiscale) and its data are found."""
        if not switch_off.password_login_allowed_for(user):
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            return render(request, "account/password_login_closed.html", {"staff": user.is_staff})
        return super().pre_login(request, user, **kwargs)

    def clean_username(self, username: str, shallow: bool = False) -> str:
        # Uniqueness is checked by the signup form, which must not reveal an existing account.
        return validate_codice_fiscale(username)

    def get_client_ip(self, request: HttpRequest) -> str:
        """The address rate limits count on: the portal's one reading of it (trusted proxies from settings)."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def clean_email(self, email: str) -> str:
        # Signup, adding an e-mail and password reset: too long is an error, never cut to the column's length.
        validate_email_length(email)
        return super().clean_email(email)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = globals()["context"].request
        ctx = {"request": request, "email": email, **self._site_context(request), **context}
        message = self.render_mail(template_prefix, email, ctx)
        body_html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                body_html = content
        email_enqueue(
            kind=template_prefix,
            to=list(message.to),
            subject=message.subject,
            body_text=message.body,
            body_html=body_html,
        )

    def _site_context(self, request) -> dict:
        from django.contrib.sites.shortcuts import get_current_site

        return {"current_site": get_current_site(request)}

    def send_notification_mail(self, template_prefix: str, user, context: dict | None = None, email=None) -> None:
        """Account changes allauth reports. An authenticator added or removed (recovery codes regenerated) is always
        mailed to the account's address: a thief who sets up their own app must not go unnoticed. allauth sends
        notifications only with ACCOUNT_EMAIL_NOTIFICATIONS, which stays off for the other changes (password,
        e-mail address) as before. Through the outbox, like every e-mail (send_mail)."""
        if not template_prefix.startswith("mfa/"):
            super().send_notification_mail(template_prefix, user, context=context, email=email)
            return
        if not email:
            email = EmailAddress.objects.get_primary_email(user) or user.email
        if not email:
            return
        ctx = {
            "timestamp": timezone.now(),
            "ip": self.get_client_ip(self.request),
            "user_agent": self.get_http_user_agent(self.request)[:USER_AGENT_MAX_LENGTH],
            **(context or {}),
        }
        self.send_mail(template_prefix, email, ctx)

    def send_account_already_exists_mail(self, email: str) -> None:
        """Someone signed up with a CF or an e-mail that has an account: tell the owner, not the visitor."""
        request = context.request
        recipients = set()
        owner_email = getattr(request, "signup_cf_owner_email", None)
        if owner_email:
            recipients.add(owner_email)
        if get_user_model().objects.filter(email__iexact=email).exists():
            recipients.add(email)
        for recipient in sorted(recipients):
            super().send_account_already_exists_mail(recipient)


class MFAAdapter(DefaultMFAAdapter):
    """allauth.mfa's extension point for the secrets it stores: encrypted at rest (accounts.mfa_secrets)."""

    def encrypt(self, text: str) -> str:
        return secret_encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return secret_decrypt(encrypted_text)
