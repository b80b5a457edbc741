"""The office groups see the tax certificates and the declared splits; "Ufficio scuola" (both) may also issue the
year's certificates (add). Permissions are created first (on a fresh database Django creates them only after all
migrations)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OFFICE_GROUPS = ["Ufficio scuola", "Ufficio scuola – dati sanitari"]  # noqa: RUF001 - the groups' names
ALL_GROUPS = [*OFFICE_GROUPS, "Ragioneria"]
VIEW = ["view_taxcertificate", "view_expensesplit"]
ISSUE = ["add_taxcertificate"]


def _permissions(apps, codenames):
    app_config = apps.get_app_config("payments")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    return apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="payments", codename__in=codenames
    )


def permissions_grant(apps, schema_editor):
    groups = apps.get_model("auth", "Group").objects
    for group in groups.filter(name__in=ALL_GROUPS):
        group.permissions.add(*_permissions(apps, VIEW))
    for group in groups.filter(name__in=OFFICE_GROUPS):
        group.permissions.add(*_permissions(apps, ISSUE))


def permissions_revoke(apps, schema_editor):
    permissions = apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="payments", codename__in=VIEW + ISSUE
    )
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ALL_GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0015_tax_certificates"),
        ("portal", "0003_office_groups"),
    ]

    operations = [migrations.RunPython(permissions_grant, permissions_revoke)]
