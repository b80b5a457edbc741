"""Encryption of the MFA secrets allauth stores (TOTP secret, recovery-code seed), with settings.MFA_ENCRYPTION_KEYS.

allauth calls `MFAAdapter.encrypt`/`decrypt` (accounts/adapters.py) around every read and write of them; the data
migration and `manage.py mfa_encrypt_secrets` use `authenticators_encrypt` to encrypt the rows written in clear
before, and to re-encrypt them under a new first key.
"""

import re
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

# What allauth writes in clear: a TOTP secret is base32 (A-Z, 2-7, '=' padding); a recovery-code seed is hex.
_CLEAR_SECRET = re.compile(r"^(?:[A-Z2-7]+=*|[0-9a-f]+)$")
# The fields of Authenticator.data that hold a secret, per authenticator type.
SECRET_FIELDS = {"totp": ("secret",), "recovery_codes": ("seed",)}


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.MFA_ENCRYPTION_KEYS))


def secret_encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode()


def secret_decrypt(token: str) -> str:
    """The clear secret; InvalidToken if the value was not encrypted with one of the keys (never returned as is)."""
    return fernet().decrypt(token.encode()).decode()


def secret_is_clear(value: str) -> bool:
    """A value as allauth writes it without encryption (a Fernet token starts 'gAAAAA': never one of these)."""
    return bool(_CLEAR_SECRET.match(value))


def authenticators_encrypt(authenticator_model, *, rotate: bool = False) -> int:
    """Encrypt every secret still stored in clear (and, with `rotate`, re-encrypt the others under the first key).

    Idempotent: a value that decrypts is left alone (unless rotating). A value that neither decrypts nor looks like
    a clear secret was encrypted with a key that is no longer configured: refuse, rather than encrypt it twice.
    Returns how many rows were written.
    """
    changed = 0
    rows = authenticator_model.objects.filter(type__in=SECRET_FIELDS).order_by("pk")
    for authenticator in rows.iterator():
        data = dict(authenticator.data)
        dirty = False
        for field in SECRET_FIELDS[authenticator.type]:
            value = data.get(field)
            if not isinstance(value, str) or not value:
                continue
            try:
                fernet().decrypt(value.encode())
            except InvalidToken:
                if not secret_is_clear(value):
                    raise ValueError(
                        f"authenticator {authenticator.pk}: {field} is encrypted with a key not in MFA_ENCRYPTION_KEY"
                    ) from None
                data[field] = secret_encrypt(value)
                dirty = True
            else:
                if rotate:
                    data[field] = fernet().rotate(value.encode()).decode()
                    dirty = True
        if dirty:
            authenticator.data = data
            authenticator.save(update_fields=["data"])
            changed += 1
    return changed
