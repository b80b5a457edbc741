"""The fake is an app of its own, installed only when PAYMENTS_MOCK_ENABLED is on, and independent of the portal.

With the flag off (production) the app is not installed: no tables, no /mockpsp/ URLs, no beat job. The settings
read the flag once, so the "off" case runs in a fresh interpreter on the production settings module.
"""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

from portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
BEAT_TASK = "mockpsp.tasks.receipt_deliveries_send_due_task"

PROBE = """
import json
import django
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

django.setup()
from django.apps import apps

try:
    resolve("/mockpsp/controllo/")
    resolves = True
except Resolver404:
    resolves = False
try:
    reverse("mockpsp:control")
    reverses = True
except NoReverseMatch:
    reverses = False
print(json.dumps({
    "installed": apps.is_installed("mockpsp"),
    "in_installed_apps": "mockpsp" in settings.INSTALLED_APPS,
    "resolves": resolves,
    "reverses": reverses,
    "status": Client().get("/mockpsp/api/checkout/ec/v2/carts").status_code,
    "beat_tasks": [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()],
}))
"""


def probe(*, enabled: bool) -> dict:
    """The production settings (DEBUG on, in-memory SQLite) with the flag given, in a fresh interpreter."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": "sqlite://:memory:",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "PAYMENTS_MOCK_ENABLED": "true" if enabled else "false",
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_the_flag_off_the_fake_is_not_installed_served_or_scheduled():
    off = probe(enabled=False)
    assert off["installed"] is False
    assert off["in_installed_apps"] is False
    assert off["resolves"] is False
    assert off["reverses"] is False
    assert off["status"] == 404
    assert not [task for task in off["beat_tasks"] if task.startswith("mockpsp.")]


def test_with_the_flag_on_the_fake_is_installed_served_and_scheduled():
    on = probe(enabled=True)
    assert on["installed"] is True
    assert on["resolves"] is True
    assert on["reverses"] is True
    assert on["status"] == 401  # the API is there: it wants the subscription key
    assert BEAT_TASK in on["beat_tasks"]


def test_the_test_settings_install_the_fake_and_register_its_tasks():
    assert apps.get_app_config("mockpsp").name == "mockpsp"
    assert settings.CELERY_BEAT_SCHEDULE["mockpsp-deliver-due"]["task"] == BEAT_TASK
    celery_app.loader.import_default_modules()
    assert BEAT_TASK in celery_app.tasks
    assert "mockpsp.tasks.receipt_deliveries_send_task" in celery_app.tasks


# What the fake may import of the project: the wire constants shared with the client, and portal's helpers.
ALLOWED_PROJECT_MODULES = ("payments.pagopa",)
PORTAL_APPS = ("accounts", "enrollment", "payments")
PORTAL_SITE = ("portal.site", "portal.views", "portal.urls")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    modules = set()
    for node in ast.walk(tree):  # every import, at module level and inside functions
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "mockpsp").rglob("*.py")),
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_the_fake_imports_no_portal_app(path):
    """It speaks to the portal over HTTP only: no accounts, enrollment or payments (but payments.pagopa)."""
    forbidden = set()
    for module in _imported_modules(path):
        if module.startswith(ALLOWED_PROJECT_MODULES):
            continue
        if module.split(".")[0] in PORTAL_APPS or module.startswith(PORTAL_SITE):
            forbidden.add(module)
    assert forbidden == set()
