"""Issue 11, finding 5: production settings refuse to start with the pagoPA fake (unless a demo says so) or
without the key that encrypts the TOTP secrets. Each case loads portal.settings in a fresh interpreter."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FERNET_KEY = "dGVzdC1tZmEta2V5LW5vdC1mb3ItcHJvZHVjdGlvbiE="
PROBE = "import django; django.setup(); from django.conf import settings; print('LOADED', settings.DEBUG)"


def load_settings(**overrides: str | None) -> subprocess.CompletedProcess:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "PAYMENTS_", "PORTAL_", "MFA_")) and name != "DATABASE_URL"
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "a-long-production-like-secret-key-0123456789abcdefghijklmnop",
            "DATABASE_URL": "sqlite://:memory:",
            "MFA_ENCRYPTION_KEY": FERNET_KEY,
        }
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_fake_in_production_refuses_to_start_unless_a_demo_says_so():
    result = load_settings(PAYMENTS_MOCK_ENABLED="true")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "PAYMENTS_MOCK_ENABLED è attivo con DEBUG spento" in result.stderr
    assert "PORTAL_DEMO=true" in result.stderr
    assert "The pagoPA fake is on with DEBUG off: PAYMENTS_MOCK_ENABLED=false" in result.stderr

    # A declared demo (or benchmark) server may run it without DEBUG; DEBUG needs no flag; production without it loads.
    for overrides in ({"PORTAL_DEMO": "true"}, {"DJANGO_DEBUG": "true"}):
        result = load_settings(PAYMENTS_MOCK_ENABLED="true", **overrides)
        assert result.returncode == 0, result.stderr
    result = load_settings(PAYMENTS_MOCK_ENABLED="false")
    assert result.returncode == 0, result.stderr
    assert "LOADED False" in result.stdout


def test_production_needs_the_mfa_encryption_key():
    result = load_settings(MFA_ENCRYPTION_KEY=None)
    assert result.returncode != 0
    assert "MFA_ENCRYPTION_KEY manca" in result.stderr
    assert "MFA_ENCRYPTION_KEY is required when DEBUG is off" in result.stderr
    result = load_settings(MFA_ENCRYPTION_KEY="not-a-fernet-key")
    assert result.returncode != 0
    assert "not a valid Fernet key" in result.stderr
    # With a key production loads; in DEBUG a key is derived from the secret key.
    assert load_settings().returncode == 0
    assert load_settings(MFA_ENCRYPTION_KEY=None, DJANGO_DEBUG="true").returncode == 0
