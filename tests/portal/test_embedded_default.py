"""The embedded default (`make run`: SQLite, the pagoPA fake inside the portal, eager tasks) is right at first sight.

Run as `make run` runs it, in a subprocess on a fresh SQLite file, with the development settings (not the test
settings, which reach the fake in memory anyway and would hide the problem): the demo's fee notice is published by
the seed itself, and the office can cancel it at once, although no server is running.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import time
from django.conf import settings
from django.db import connection
from accounts.models import User
from payments.models import PaymentNotice
from payments.services import notice_cancel

with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    print("journal", cursor.fetchone()[0])
print("transport", settings.PAGOPA_HTTP_TRANSPORT)
notice = PaymentNotice.objects.get(school_event__isnull=True)  # the Comune's (the school's trip has two)
print("published", notice.platform_state)
office = User.objects.filter(is_staff=True).first()
started = time.monotonic()
notice = notice_cancel(notice_id=notice.pk, actor=office, reason="Prova")
print("cancelled", notice.status, notice.platform_state, round(time.monotonic() - started, 1))
"""


def _manage(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_make_run_seed_publishes_the_demo_notice_and_cancel_is_quick(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "PAGOPA_", "PAYMENTS_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "EMAIL_URL": "dummymail://",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "REDIS_URL": "",
    }
    _manage("migrate", "-v0", env=env)
    _manage("seed_demo", env=env)
    out = dict(line.split(" ", 1) for line in _manage("shell", "-c", CHECK, env=env).splitlines() if " " in line)

    assert out["journal"] == "wal"
    assert out["transport"] == "wsgi"
    assert out["published"] == "VALID"
    status, platform_state, seconds = out["cancelled"].split()
    assert (status, platform_state) == ("cancelled", "INVALID")
    assert float(seconds) < 3
