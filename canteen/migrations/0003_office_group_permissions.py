"""The office groups (portal 0003_office_groups) run the canteen: "Ufficio scuola" (both) view, add and change the
canteen's records (calendars, closures, rules, attendance files, exceptions, kitchens' codes, end-of-year requests;
nothing is deleted), "Ragioneria" views them (the reports included). Permissions are created first (on a fresh
database Django creates them only after all migrations)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OFFICE_GROUPS = ["Ufficio scuola", "Ufficio scuola – dati sanitari"]  # noqa: RUF001 - the groups' names
ACCOUNTS_GROUP = "Ragioneria"


def _permissions(apps, actions):
    app_config = apps.get_app_config("canteen")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    names = [f"{action}_{model._meta.model_name}" for model in app_config.get_models() for action in actions]
    return apps.get_model("auth", "Permission").objects.filter(content_type__app_label="canteen", codename__in=names)


def permissions_grant(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    office = _permissions(apps, ("view", "add", "change"))
    for group in group_model.objects.filter(name__in=OFFICE_GROUPS):
        group.permissions.add(*office)
    viewing = _permissions(apps, ("view",))
    for group in group_model.objects.filter(name=ACCOUNTS_GROUP):
        group.permissions.add(*viewing)


def permissions_revoke(apps, schema_editor):
    permissions = apps.get_model("auth", "Permission").objects.filter(content_type__app_label="canteen")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=[*OFFICE_GROUPS, ACCOUNTS_GROUP]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("canteen", "0002_family_kitchen_reminders"),
        ("portal", "0003_office_groups"),
    ]

    operations = [migrations.RunPython(permissions_grant, permissions_revoke)]
