"""Issue 11, finding 5: TOTP secrets (and recovery-code seeds) are stored encrypted, and sign-in still works."""

import importlib
import io

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import PASSWORD

CLEAR_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def secret_decrypt(value: str) -> str:
    from accounts.mfa_secrets import secret_decrypt

    return secret_decrypt(value)


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def test_totp_activated_through_the_page_is_stored_encrypted_and_signs_in(client, parent):
    client.post(reverse("account_login"), {"login": parent.email, "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    assert client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)}).status_code == 302

    stored = Authenticator.objects.get(user=parent, type=Authenticator.Type.TOTP).data["secret"]
    assert stored != secret
    assert secret not in stored
    assert secret_decrypt(stored) == secret
    seed = Authenticator.objects.get(user=parent, type=Authenticator.Type.RECOVERY_CODES).data["seed"]
    assert not all(c in "0123456789abcdef" for c in seed)  # not the clear hex seed

    # The next sign-in asks for the app's code and accepts it.
    client.logout()
    response = client.post(reverse("account_login"), {"login": parent.email, "password": PASSWORD})
    assert response.url == reverse("mfa_authenticate")
    assert client.post(reverse("mfa_authenticate"), {"code": "000000"}).status_code == 200
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert client.get(reverse("accounts:family")).status_code == 200


def load_migration():
    return importlib.import_module("accounts.migrations.0004_encrypt_mfa_secrets")


def test_the_migration_encrypts_clear_secrets_once(parent, other_parent):
    clear_totp = Authenticator.objects.create(user=parent, type=Authenticator.Type.TOTP, data={"secret": CLEAR_SECRET})
    seed = "ab" * 40
    clear_codes = Authenticator.objects.create(
        user=parent, type=Authenticator.Type.RECOVERY_CODES, data={"seed": seed, "used_mask": 0}
    )
    already = TOTP.activate(other_parent, CLEAR_SECRET).instance
    already_value = already.data["secret"]

    load_migration().encrypt_secrets(apps, None)

    clear_totp.refresh_from_db()
    clear_codes.refresh_from_db()
    already.refresh_from_db()
    assert clear_totp.data["secret"] != CLEAR_SECRET
    assert secret_decrypt(clear_totp.data["secret"]) == CLEAR_SECRET
    assert clear_codes.data["seed"] != seed
    assert clear_codes.data["used_mask"] == 0
    assert already.data["secret"] == already_value  # encrypted rows are left alone
    # The migrated authenticators work: the app's code and a recovery code.
    assert TOTP(clear_totp).validate_code(current_code(CLEAR_SECRET))
    assert RecoveryCodes(clear_codes).validate_code(RecoveryCodes(clear_codes).get_unused_codes()[0])

    # Run again (idempotent): nothing changes.
    values = dict(Authenticator.objects.values_list("pk", "data"))
    load_migration().encrypt_secrets(apps, None)
    assert dict(Authenticator.objects.values_list("pk", "data")) == values


def test_a_secret_encrypted_with_an_unknown_key_is_not_encrypted_twice(parent):
    foreign = Fernet(Fernet.generate_key()).encrypt(CLEAR_SECRET.encode()).decode()
    Authenticator.objects.create(user=parent, type=Authenticator.Type.TOTP, data={"secret": foreign})
    with pytest.raises(ValueError, match="MFA_ENCRYPTION_KEY"):
        load_migration().encrypt_secrets(apps, None)


def test_keys_can_be_rotated(settings, parent):
    instance = TOTP.activate(parent, CLEAR_SECRET).instance
    old_value = instance.data["secret"]
    new_key = Fernet.generate_key().decode()
    settings.MFA_ENCRYPTION_KEYS = [new_key, *settings.MFA_ENCRYPTION_KEYS]
    call_command("mfa_encrypt_secrets", "--rotate", stdout=io.StringIO())
    instance.refresh_from_db()
    assert instance.data["secret"] != old_value
    settings.MFA_ENCRYPTION_KEYS = [new_key]  # the old key dropped: the secret still decrypts
    assert secret_decrypt(instance.data["secret"]) == CLEAR_SECRET
