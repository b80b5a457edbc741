"""The e-mailed code a staff user gives before activating TOTP, so that a stolen password alone cannot enrol the
thief's authenticator app and open the admin.

The code lives in the user's session (hashed, with its expiry and the attempts left) and is sent to the account's
verified primary e-mail address through the outbox. Once confirmed, the session may activate TOTP for a short
while (accounts.forms.ActivateTOTPForm checks it; accounts.middleware sends staff here before the activation page).
"""

import secrets
import time
from datetime import timedelta

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac

from portal.mail import email_enqueue_template

from ..errors import (
    StaffMfaCodeError,
    StaffMfaCodeExpiredError,
    StaffMfaCodeTooManyError,
    StaffMfaCodeWrongError,
    StaffMfaEmailMissingError,
    StaffMfaSendLimitError,
)
from ..models import User

STAFF_MFA_CODE_LENGTH = 6
STAFF_MFA_CODE_VALIDITY = timedelta(minutes=10)
STAFF_MFA_CODE_MAX_ATTEMPTS = 5
# How long after confirming the code the session may activate TOTP.
STAFF_MFA_CONFIRMED_VALIDITY = timedelta(minutes=15)
# The rate limit of sends (ACCOUNT_RATE_LIMITS[...], per user).
STAFF_MFA_SEND_ACTION = "staff_mfa_email_code"

_CODE_KEY = "accounts.staff_mfa_code"
_CONFIRMED_KEY = "accounts.staff_mfa_confirmed"

__all__ = [
    "STAFF_MFA_CODE_LENGTH",
    "STAFF_MFA_CODE_MAX_ATTEMPTS",
    "STAFF_MFA_CODE_VALIDITY",
    "STAFF_MFA_CONFIRMED_VALIDITY",
    "StaffMfaCodeError",
    "authenticator_remove_by_office",
    "staff_mfa_code_send",
    "staff_mfa_code_verify",
    "staff_mfa_confirmation_consume",
    "staff_mfa_confirmation_is_valid",
    "staff_mfa_email_for_user",
]


def _hash(*, user: User, code: str) -> str:
    return salted_hmac("accounts.staff_mfa_code", f"{user.pk}:{code}", algorithm="sha256").hexdigest()


def staff_mfa_email_for_user(*, user: User) -> str | None:
    """The verified primary address the code goes to (None: the office must set one up first)."""
    address = EmailAddress.objects.filter(user=user, primary=True, verified=True).first()
    return address.email if address else None


def staff_mfa_code_send(*, request: HttpRequest, user: User) -> str:
    """Send a new code (replacing any earlier one) to the user's verified e-mail; returns the address."""
    email = staff_mfa_email_for_user(user=user)
    if email is None:
        raise StaffMfaEmailMissingError()
    if not ratelimit.consume(request, action=STAFF_MFA_SEND_ACTION, user=user):
        raise StaffMfaSendLimitError()
    code = f"{secrets.randbelow(10**STAFF_MFA_CODE_LENGTH):0{STAFF_MFA_CODE_LENGTH}d}"
    request.session[_CODE_KEY] = {
        "user": user.pk,
        "hash": _hash(user=user, code=code),
        "expires": time.time() + STAFF_MFA_CODE_VALIDITY.total_seconds(),
        "attempts_left": STAFF_MFA_CODE_MAX_ATTEMPTS,
    }
    request.session.pop(_CONFIRMED_KEY, None)
    email_enqueue_template(
        template="staff_mfa_code",
        to=[email],
        context={
            "code": code,
            "minutes": int(STAFF_MFA_CODE_VALIDITY.total_seconds() // 60),
            "comune": settings.PORTAL_COMUNE_NAME,
            "user_name": user.get_full_name() or user.email,
        },
    )
    return email


def staff_mfa_code_verify(*, request: HttpRequest, user: User, code: str) -> None:
    """Check the code the user typed; on success the session may activate TOTP for a short while.

    Wrong: one attempt fewer (none left: the code is void and a new one must be sent). Expired: void too.
    """
    state = request.session.get(_CODE_KEY)
    if not state or state.get("user") != user.pk:
        raise StaffMfaCodeExpiredError()
    if time.time() > state["expires"]:
        request.session.pop(_CODE_KEY, None)
        raise StaffMfaCodeExpiredError()
    normalized = "".join(code.split())
    if not constant_time_compare(_hash(user=user, code=normalized), state["hash"]):
        state["attempts_left"] -= 1
        if state["attempts_left"] <= 0:
            request.session.pop(_CODE_KEY, None)
            raise StaffMfaCodeTooManyError()
        request.session[_CODE_KEY] = state
        raise StaffMfaCodeWrongError(attempts_left=state["attempts_left"])
    request.session.pop(_CODE_KEY, None)
    request.session[_CONFIRMED_KEY] = {
        "user": user.pk,
        "until": time.time() + STAFF_MFA_CONFIRMED_VALIDITY.total_seconds(),
    }


def staff_mfa_confirmation_is_valid(*, request: HttpRequest, user: User) -> bool:
    state = request.session.get(_CONFIRMED_KEY)
    return bool(state and state.get("user") == user.pk and time.time() <= state["until"])


def staff_mfa_confirmation_consume(*, request: HttpRequest, user: User) -> bool:
    """Use up the confirmation (one activation per e-mailed code); False if there was none valid."""
    valid = staff_mfa_confirmation_is_valid(request=request, user=user)
    request.session.pop(_CONFIRMED_KEY, None)
    return valid


# The notice allauth sends when the owner removes an authenticator of each type (recovery codes have none).
_REMOVED_TEMPLATES = {
    Authenticator.Type.TOTP: "mfa/email/totp_deactivated",
    Authenticator.Type.WEBAUTHN: "mfa/email/webauthn_removed",
}


@transaction.atomic
def authenticator_remove_by_office(*, authenticator: Authenticator) -> None:
    """The office removes a user's authenticator (a lost phone): the account's address is told, as when the owner
    removes it (accounts.adapters.AccountAdapter.send_notification_mail, through the outbox)."""
    user = authenticator.user
    template = _REMOVED_TEMPLATES.get(Authenticator.Type(authenticator.type))
    authenticator.delete()
    if template:
        get_account_adapter().send_notification_mail(template, user)
