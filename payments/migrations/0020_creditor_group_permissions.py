"""The office groups ("Ufficio scuola", both) enable schools as creditors (add, change, view) and see their payment
events; the Ragioneria sees both. Permissions are created first (on a fresh database Django creates them only after
all migrations)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OFFICE_GROUPS = ["Ufficio scuola", "Ufficio scuola – dati sanitari"]  # noqa: RUF001 - the groups' names
ALL_GROUPS = [*OFFICE_GROUPS, "Ragioneria"]
VIEW = ["view_creditor", "view_schoolpaymentevent"]
ISSUE = [
    "add_creditor",
    "change_creditor",
    "add_creditorschool",
    "change_creditorschool",
    "view_creditorschool",
]


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
        ("payments", "0019_voluntary_free_amount"),
        ("portal", "0003_office_groups"),
    ]

    operations = [migrations.RunPython(permissions_grant, permissions_revoke)]
