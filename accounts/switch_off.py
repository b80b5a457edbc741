"""The Comune's switch-off of the portal's own passwords (since 2021 public services let citizens in with SPID and
CIE and may not issue new credentials), each a setting or an environment variable:

- `PORTAL_PASSWORD_SIGNUP` (true/false): new password accounts may be made; off, new parents enter with SPID/CIE.
- `PORTAL_PASSWORD_LOGIN`: `on`; `off`; or a date `YYYY-MM-DD`, the last day a parent may enter with a password.
  Once it is closed, a parent's password opens nothing: they enter with SPID/CIE (their data stay) and the password
  is retired at that entry. The office's staff (`is_staff`, with TOTP) keep their passwords unless
  `PORTAL_STAFF_SPID_REQUIRED` is true.
"""

import datetime
import os

from django.conf import settings
from django.utils import timezone

TRUE = {"1", "true", "yes", "on"}


def _setting(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return str(value).strip().lower()


def password_signup_open() -> bool:
    return _setting("PORTAL_PASSWORD_SIGNUP", "true") in TRUE


def password_login_last_day() -> datetime.date | None:
    """The last day of password entries when the Comune set one (None: open, or closed without a date)."""
    try:
        return datetime.date.fromisoformat(_setting("PORTAL_PASSWORD_LOGIN", "on"))
    except ValueError:
        return None


def password_login_open(*, today: datetime.date | None = None) -> bool:
    value = _setting("PORTAL_PASSWORD_LOGIN", "on")
    if value in TRUE:
        return True
    last_day = password_login_last_day()
    if last_day is None:
        return False  # "off", or anything not understood: closed is the safe reading
    return (today or timezone.localdate()) <= last_day


def password_switch_off_announced() -> bool:
    """A closing date is set: password users are told, and entering with SPID/CIE retires their password."""
    return password_login_last_day() is not None or not password_login_open()


def staff_spid_required() -> bool:
    return _setting("PORTAL_STAFF_SPID_REQUIRED", "false") in TRUE


def password_login_allowed_for(user) -> bool:
    """May this user enter with the portal's password today?"""
    if user.is_staff and not staff_spid_required():
        return True
    return password_login_open()
