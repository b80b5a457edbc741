"""Run the enrollment benchmark: `.venv/bin/python -m bench.enrollment --help` (see the package's docstring)."""

import argparse
import base64
import os
import secrets
import shutil
import subprocess
import sys
import tempfile

import bench.enrollment
from bench.database import database_drop, database_recreate, database_url
from bench.enrollment import DB_NAME
from bench.server import BASE_DIR, VENV_PYTHON, manage


def bench_env(media_root: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_DEBUG": "false",  # DEBUG would keep every SQL statement in memory
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            # Settings require the TOTP secrets' key when not DEBUG (a Fernet key: 32 random bytes, base64).
            "MFA_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "DATABASE_URL": database_url(DB_NAME),
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "REDIS_URL": "",
            "CELERY_BROKER_URL": "memory://",  # e-mails are queued in this process, never sent
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "MEDIA_ROOT": media_root,
            "EMAIL_FILE_PATH": media_root,
            "DJANGO_LOG_LEVEL": "WARNING",
        }
    )
    env.pop("DJANGO_READ_DOT_ENV_FILE", None)
    env.pop("DJANGO_ROOT_URLCONF", None)
    return env


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.enrollment", description=(bench.enrollment.__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--rows", type=int, default=20_000, help="enrollments to generate")
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--small", type=int, default=500, help="enrollments accepted in the small bulk run")
    parser.add_argument("--large", type=int, default=5_000, help="enrollments accepted in the large bulk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating bulk acceptance rounds (best kept)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        from bench.enrollment.measure import measure

        return measure(args)

    media_root = tempfile.mkdtemp(prefix="portal-bench-enrollment-")
    env = bench_env(media_root)
    try:
        print(f"Preparing database {DB_NAME} (migrate) ...", flush=True)
        database_recreate(DB_NAME)
        manage(env, "migrate", "-v0")
        command = [VENV_PYTHON, "-m", "bench.enrollment", "--measure", *sys.argv[1:]]
        return subprocess.run(command, cwd=BASE_DIR, env=env, check=False).returncode
    finally:
        database_drop(DB_NAME)
        shutil.rmtree(media_root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
