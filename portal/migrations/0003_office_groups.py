"""The groups a Comune's offices need, so that no clerk has to be a superuser.

- "Ufficio scuola": runs the year — families, enrollments and their configuration, notices, balances, reports — with
  view, add and change (nothing is deleted from the admin: states and corrections are services); no health data.
- "Ufficio scuola – dati sanitari": the same, plus medical diets, certificates and the log of who read them.
- "Ragioneria": receipts, ledger, balances and the receipts report; read-only everywhere else; no health data.

The lists are written out here as they stand at this migration; a later model gets its permissions in its own
migration. Permissions are created first: on a fresh database Django creates them only after all migrations.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

APPS = ("accounts", "enrollment", "payments", "portal")
HEALTH_MODELS = {("enrollment", "medicaldiet"), ("enrollment", "healthdataaccess")}
HEALTH_EXTRA = [("enrollment", "view_health_data"), ("enrollment", "change_medicaldiet")]
OFFICE = "Ufficio scuola"
OFFICE_HEALTH = "Ufficio scuola – dati sanitari"
ACCOUNTS_OFFICE = "Ragioneria"


def _codenames(apps, *, actions, health: bool) -> list[tuple[str, str]]:
    pairs = []
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            name = model._meta.model_name
            if (label, name) in HEALTH_MODELS and not health:
                continue
            actions_here = ("view",) if (label, name) in HEALTH_MODELS else actions
            pairs += [(label, f"{action}_{name}") for action in actions_here]
    return pairs


def groups_create(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    wanted = {
        OFFICE: _codenames(apps, actions=("view", "add", "change"), health=False),
        OFFICE_HEALTH: _codenames(apps, actions=("view", "add", "change"), health=True) + HEALTH_EXTRA,
        ACCOUNTS_OFFICE: _codenames(apps, actions=("view",), health=False),
    }
    for group_name, pairs in wanted.items():
        group, _ = group_model.objects.get_or_create(name=group_name)
        permissions = [
            permission_model.objects.get(content_type__app_label=label, codename=codename) for label, codename in pairs
        ]
        group.permissions.add(*permissions)


def groups_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[OFFICE, OFFICE_HEALTH, ACCOUNTS_OFFICE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("portal", "0002_outboxemail_attachments"),
        ("accounts", "0002_child_familyevent_importedadult_child_imported_from_and_more"),
        ("enrollment", "0002_enrollment_enrollmentevent_healthdataaccess_and_more"),
        ("payments", "0005_paymentnoticeevent"),
    ]

    operations = [migrations.RunPython(groups_create, groups_delete)]
