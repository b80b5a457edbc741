"""The office groups ("Ufficio scuola", both) see the identity providers (with their certificates' expiry) and how
each account entered; changing them stays with the administrators (the nightly refresh keeps the list)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OFFICE_GROUPS = ["Ufficio scuola", "Ufficio scuola – dati sanitari"]  # noqa: RUF001 - the groups' names
VIEW = ["view_identityprovider", "view_loginrecord"]


def _permissions(apps):
    app_config = apps.get_app_config("spid")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    return apps.get_model("auth", "Permission").objects.filter(content_type__app_label="spid", codename__in=VIEW)


def permissions_grant(apps, schema_editor):
    for group in apps.get_model("auth", "Group").objects.filter(name__in=OFFICE_GROUPS):
        group.permissions.add(*_permissions(apps))


def permissions_revoke(apps, schema_editor):
    permissions = apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="spid", codename__in=VIEW
    )
    for group in apps.get_model("auth", "Group").objects.filter(name__in=OFFICE_GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("spid", "0002_cie_logout"),
        ("portal", "0003_office_groups"),
    ]

    operations = [migrations.RunPython(permissions_grant, permissions_revoke)]
