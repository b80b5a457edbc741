"""The office groups see what became of the IO messages (view) and set the default channel of each kind of message
(view, add, change). Permissions are created first (on a fresh database Django creates them only after all
migrations)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OFFICE_GROUPS = ["Ufficio scuola", "Ufficio scuola – dati sanitari"]  # noqa: RUF001 - the groups' names
VIEW = ["view_iomessage", "view_notificationdefault", "add_notificationdefault", "change_notificationdefault"]


def _permissions(apps):
    app_config = apps.get_app_config("portal")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    return apps.get_model("auth", "Permission").objects.filter(content_type__app_label="portal", codename__in=VIEW)


def permissions_grant(apps, schema_editor):
    for group in apps.get_model("auth", "Group").objects.filter(name__in=OFFICE_GROUPS):
        group.permissions.add(*_permissions(apps))


def permissions_revoke(apps, schema_editor):
    permissions = apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="portal", codename__in=VIEW
    )
    for group in apps.get_model("auth", "Group").objects.filter(name__in=OFFICE_GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("portal", "0009_notification_defaults")]

    operations = [migrations.RunPython(permissions_grant, permissions_revoke)]
