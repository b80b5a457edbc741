"""Test settings: PostgreSQL and Redis when reachable (required in CI), else SQLite and eager tasks."""

import os
import socket
import sys
import tempfile
from urllib.parse import urlsplit

os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
# The pagoPA fake is on in tests: set before the settings read it, so that the mockpsp app, its URLs and its beat
# job follow the flag as they do in development.
os.environ["PAYMENTS_MOCK_ENABLED"] = "true"
# With DEBUG off, settings refuse to run the fake unless told it is a demo (the tests are one).
os.environ["PORTAL_DEMO"] = "true"
# A fixed key for the TOTP secrets (required when DEBUG is off), never used outside the tests.
os.environ.setdefault("MFA_ENCRYPTION_KEY", "dGVzdC1tZmEta2V5LW5vdC1mb3ItcHJvZHVjdGlvbiE=")

from .settings import *

TEST_DATABASE_URL = env("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/portal")
TEST_REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = env.bool("CI", default=False) or env.bool("REQUIRE_SERVICES", default=False)


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=1):
            return True
    except OSError:
        return False


SERVICES_MISSING = [url for url in (TEST_DATABASE_URL, TEST_REDIS_URL) if not _reachable(url)]
if SERVICES_MISSING:
    if REQUIRE_SERVICES:
        raise SystemExit(f"Required services are not reachable: {', '.join(SERVICES_MISSING)} (CI/REQUIRE_SERVICES)")
    print(  # noqa: T201
        "\n" + "!" * 78 + f"\n!! PostgreSQL/Redis not reachable ({', '.join(SERVICES_MISSING)}).\n"
        "!! Running on SQLite with eager tasks: locks and constraints are NOT tested as in production.\n"
        + "!" * 78
        + "\n",
        file=sys.stderr,
    )
    USING_SERVICES = False
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
else:
    USING_SERVICES = True
    DATABASES = {"default": env.db_url_config(TEST_DATABASE_URL)}
    # A database of its own for the test run's cache (rate limits), flushed between tests.
    _redis = urlsplit(TEST_REDIS_URL)
    TEST_CACHE_URL = f"{_redis.scheme}://{_redis.netloc}/15"
    # Every run has its own key prefix: several runs on one machine (a developer, a hook, CI) share Redis.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": TEST_CACHE_URL,
            "KEY_PREFIX": f"test-{os.getpid()}",
        }
    }
    CELERY_BROKER_URL = TEST_REDIS_URL

CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "OPTIONS": {"MAX_ENTRIES": 5000},
}
REDIS_URL = TEST_REDIS_URL if USING_SERVICES else ""
DATABASES["default"]["CONN_MAX_AGE"] = 0
# One test database per run, so that two runs on one machine (a developer and a hook) never collide.
DATABASES["default"]["TEST"] = {"NAME": env("PORTAL_TEST_DB_NAME", default=f"test_portal_{os.getpid()}")}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
ALLOWED_HOSTS = ["*"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="portal-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="portal-static-")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The test client speaks to the portal directly (no proxy), whatever the shell exports; tests behind a proxy say so.
ALLAUTH_TRUSTED_PROXY_COUNT = 0
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = None
# Tests (and the browser tests' live server) speak plain HTTP.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

# The pagoPA fake answers in-process: the gateway's HTTP requests go through a WSGI transport to this very
# application (the browser tests' live server switches to real sockets).
PAYMENTS_WEBHOOK_SECRET = "test-receipt-secret"
PAGOPA_BASE_URL = "http://testserver/mockpsp/api"
PAGOPA_HTTP_TRANSPORT = "wsgi"
# The fake IO too (installed with the pagoPA fake): in memory, at the tests' host.
IO_BASE_URL = "http://testserver/mockio/api/v1"
IO_HTTP_TRANSPORT = "wsgi"
PAGOPA_RETRIES = 0
