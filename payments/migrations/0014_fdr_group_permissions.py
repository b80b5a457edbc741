"""The office groups (portal 0003_office_groups) see the reconciliation flows: "Ragioneria", whose work they are, and
both "Ufficio scuola" groups (read-only: the flows are the platform's). Permissions are created first (on a fresh
database Django creates them only after all migrations)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ["Ufficio scuola", "Ufficio scuola – dati sanitari", "Ragioneria"]  # noqa: RUF001 - the groups' names
CODENAMES = ["view_fdrflow", "view_fdrline"]


def permissions_grant(apps, schema_editor):
    app_config = apps.get_app_config("payments")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    permissions = apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="payments", codename__in=CODENAMES
    )
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.add(*permissions)


def permissions_revoke(apps, schema_editor):
    permissions = apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="payments", codename__in=CODENAMES
    )
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0013_fdr_flows"),
        ("portal", "0003_office_groups"),
    ]

    operations = [migrations.RunPython(permissions_grant, permissions_revoke)]
