"""The office groups (0003_office_groups) get the retention models: both "Ufficio scuola" groups set the periods and
see the runs; "Ragioneria" only sees them. Permissions are created first (on a fresh database Django creates them
only after all migrations)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OFFICE = "Ufficio scuola"
OFFICE_HEALTH = "Ufficio scuola – dati sanitari"  # noqa: RUF001 - the group's name
ACCOUNTS_OFFICE = "Ragioneria"
WANTED = {
    OFFICE: ["view_retentionpolicy", "add_retentionpolicy", "change_retentionpolicy", "view_retentionrun"],
    OFFICE_HEALTH: ["view_retentionpolicy", "add_retentionpolicy", "change_retentionpolicy", "view_retentionrun"],
    ACCOUNTS_OFFICE: ["view_retentionpolicy", "view_retentionrun"],
}


def permissions_grant(apps, schema_editor):
    app_config = apps.get_app_config("portal")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for group_name, codenames in WANTED.items():
        group = group_model.objects.filter(name=group_name).first()
        if group is None:
            continue
        group.permissions.add(
            *permission_model.objects.filter(content_type__app_label="portal", codename__in=codenames)
        )


def permissions_revoke(apps, schema_editor):
    permission_model = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=WANTED):
        group.permissions.remove(
            *permission_model.objects.filter(content_type__app_label="portal", codename__contains="retention")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_retention_policy_and_runs"),
    ]

    operations = [migrations.RunPython(permissions_grant, permissions_revoke)]
