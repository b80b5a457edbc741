"""Encrypt the TOTP secrets and recovery-code seeds allauth stored in clear before MFAAdapter encrypted them."""

from django.db import migrations


def encrypt_secrets(apps, schema_editor):
    from accounts.mfa_secrets import authenticators_encrypt

    authenticators_encrypt(apps.get_model("mfa", "Authenticator"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_invitation_declined"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_secrets, migrations.RunPython.noop, elidable=False)]
