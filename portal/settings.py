"""Settings for Portale Servizi Scolastici, driven by environment variables.

The embedded default (DJANGO_DEBUG=true and nothing else, as `make run` sets) runs on SQLite with eager Celery tasks
and mail written as files under var/mail/. Production sets DATABASE_URL, REDIS_URL, EMAIL_URL
and DJANGO_SECRET_KEY; everything else has a safe default. Every variable is listed in
.env.example and in the README.
"""

import base64
import hashlib
from decimal import Decimal
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.schedule import BEAT_SCHEDULE
from portal.settings_io import io_settings

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    environ.Env.read_env(str(BASE_DIR / ".env"), overwrite=False)

# --- core --------------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-development-key-never-used-in-production")
else:
    SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
ROOT_URLCONF = env("DJANGO_ROOT_URLCONF", default="portal.urls")
WSGI_APPLICATION = "portal.wsgi.application"
SITE_ID = 1

INSTALLED_APPS = [
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "csp",
    "bootstrap_italia_template",
    "portal",
    "accounts",
    "enrollment",
    "payments",
    "canteen",
    "spid",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.ExplicitLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.PrivacyHeadersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.ConsentRequiredMiddleware",
    "accounts.middleware.StaffMfaRequiredMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "portal.context_processors.comune",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- data --------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
EMBEDDED_DATABASE = DATABASES["default"]["ENGINE"].endswith("sqlite3")
if EMBEDDED_DATABASE:
    # The embedded default serves several runserver threads from one file: write-ahead logging lets readers go on
    # while one writes, a write transaction takes the lock when it begins (no deadlock upgrading a read), and a
    # busy writer waits instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "portal.cache.FailSoftRedisCache", "LOCATION": REDIS_URL}}  # see portal/cache.py
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered page chrome (menu, footer): a pure function of language, settings and the user's role, so each
# process keeps its own copy in memory — no network round trip for it.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "OPTIONS": {"MAX_ENTRIES": 5000},
}

# --- accounts ----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["portal.site.backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.MaximumLengthPasswordValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "accounts.validators.CodiceFiscalePasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:family"

ACCOUNT_ADAPTER = "spid.adapters.AccountAdapter"
ACCOUNT_USER_DISPLAY = "accounts.adapters.user_display"
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm", "login": "accounts.forms.LoginForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = "codice_fiscale"
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PRESERVE_USERNAME_CASING = True  # CFs are stored upper case and looked up case-insensitively
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/5m/key",
    "signup": "20/h/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/5m/key",
    "change_password": "5/m/user",
    # codes e-mailed to staff before they activate TOTP (accounts.services.mfa)
    "staff_mfa_email_code": "3/15m/user",
}
# The client address rate limits, consents and the receipt intake see (portal/client_ip.py, which allauth's adapter
# calls too). Behind N reverse proxies of ours, the Nth X-Forwarded-For entry from the right; with 0 (no proxy) the
# header is ignored, as a client can write anything in it. A proxy that sends the client address in a header of
# its own (X-Real-IP) names that header instead, and the count is not used.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env("DJANGO_TRUSTED_CLIENT_IP_HEADER", default="") or None
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env("PORTAL_COMUNE_NAME", default="Comune di Borgo Demo")
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
MFA_FORMS = {"activate_totp": "accounts.forms.ActivateTOTPForm"}
# Keys (Fernet: 32 url-safe base64-encoded bytes) that encrypt the TOTP secrets and recovery-code seeds in the
# database. Comma-separated: the first encrypts, all decrypt (rotation: put the new key first, run
# `manage.py mfa_encrypt_secrets --rotate`, then drop the old one). Required when not DEBUG; in DEBUG it defaults to
# a key derived from SECRET_KEY. A new key:
#   python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
if DEBUG:
    _derived_mfa_key = base64.urlsafe_b64encode(hashlib.sha256(f"mfa-secrets:{SECRET_KEY}".encode()).digest()).decode()
    MFA_ENCRYPTION_KEYS = env.list("MFA_ENCRYPTION_KEY", default=[_derived_mfa_key])
else:
    MFA_ENCRYPTION_KEYS = env.list("MFA_ENCRYPTION_KEY", default=[])
    if not MFA_ENCRYPTION_KEYS:
        raise ImproperlyConfigured(
            "MFA_ENCRYPTION_KEY manca: è obbligatoria quando DEBUG è spento (cifra i segreti TOTP). "
            "MFA_ENCRYPTION_KEY is required when DEBUG is off (it encrypts the TOTP secrets): "
            'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        )
for _mfa_key in MFA_ENCRYPTION_KEYS:
    try:
        Fernet(_mfa_key)
    except ValueError:
        raise ImproperlyConfigured(
            "MFA_ENCRYPTION_KEY non è una chiave Fernet valida (32 byte in base64 url-safe). "
            "MFA_ENCRYPTION_KEY is not a valid Fernet key (32 url-safe base64-encoded bytes)."
        ) from None

# --- mail and tasks ----------------------------------------------------------------------------
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Servizi scolastici <noreply@comune.example.it>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 20

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Europe/Rome"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker outage must not hang a web request: publishing gives up fast, the outbox keeps the row.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "socket_timeout": 2}
# The beat jobs of every app are listed in portal/schedule.py (the fake's own job is added below when installed).
CELERY_BEAT_SCHEDULE = dict(BEAT_SCHEDULE)
# portal.site is not an installed app: autodiscovery does not find its tasks.
CELERY_IMPORTS = ["portal.site.tasks"]
OUTBOX_RETRY_AFTER_SECONDS = env.int("OUTBOX_RETRY_AFTER_SECONDS", default=120)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=10)
OUTBOX_KEEP_SENT_DAYS = env.int("OUTBOX_KEEP_SENT_DAYS", default=90)

# --- language and time -------------------------------------------------------------------------
LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italiano")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Rome"
USE_I18N = True
USE_TZ = True

# --- static and media --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Media (health certificates, notices, receipts) is never served directly: only by views that check who asks.
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "portal.storage.PortalStaticFilesStorage"
    },
}
# The theme asks for static("fonts"), a folder, which a manifest cannot name.
WHITENOISE_MANIFEST_STRICT = False

# --- the Comune (creditor and publisher of the portal) -----------------------------------------
PORTAL_COMUNE_NAME = env("PORTAL_COMUNE_NAME", default="Comune di Borgo Demo")
# The portal's public host name: links in e-mails and letters made outside a request (set on every migrate).
PORTAL_DOMAIN = env("PORTAL_DOMAIN", default="127.0.0.1:8000")
PORTAL_COMUNE_SUBTITLE = env("PORTAL_COMUNE_SUBTITLE", default="Servizi scolastici")
PORTAL_COMUNE_LOGO = env("PORTAL_COMUNE_LOGO", default="img/stemma.svg")
PORTAL_COMUNE_WEBSITE = env("PORTAL_COMUNE_WEBSITE", default="")
PORTAL_COMUNE_ADDRESS = env("PORTAL_COMUNE_ADDRESS", default="Piazza del Municipio 1, 00000 Borgo Demo")
PORTAL_COMUNE_EMAIL = env("PORTAL_COMUNE_EMAIL", default="scuola@comune.example.it")
PAGOPA_CREDITOR_FISCAL_CODE = env("PAGOPA_CREDITOR_FISCAL_CODE", default="00000000000")
PAGOPA_CREDITOR_NAME = env("PAGOPA_CREDITOR_NAME", default=PORTAL_COMUNE_NAME)
PAGOPA_CREDITOR_OFFICE = env("PAGOPA_CREDITOR_OFFICE", default="Servizi scolastici")
PAGOPA_CREDITOR_IBAN = env("PAGOPA_CREDITOR_IBAN", default="IT60X0542811101000000123456")
PAGOPA_CBILL = env("PAGOPA_CBILL", default="")
PAGOPA_AUX_DIGIT = env("PAGOPA_AUX_DIGIT", default="3")
PAGOPA_SEGREGATION_CODE = env.int("PAGOPA_SEGREGATION_CODE", default=1)
# Taxonomy code of each service (take the exact codes from the official pagoPA taxonomy file).
PAGOPA_TAXONOMY = {
    "canteen": env("PAGOPA_TAXONOMY_CANTEEN", default="9/0101108TS/"),
    "transport": env("PAGOPA_TAXONOMY_TRANSPORT", default="9/0101109TS/"),
    "nursery": env("PAGOPA_TAXONOMY_NURSERY", default="9/0101110TS/"),
}

# --- payments: the platform (the built-in fake unless configured) --------------------------------------
PAYMENTS_GATEWAY = env("PAYMENTS_GATEWAY", default="payments.gateway.http.HttpGateway")
PAYMENTS_MOCK_ENABLED = env.bool("PAYMENTS_MOCK_ENABLED", default=DEBUG)
# The fake lets anyone "pay" with test cards: outside DEBUG it runs only where a demo (or a benchmark, or the tests)
# says so explicitly. A production server that turns it on by mistake refuses to start.
PORTAL_DEMO = env.bool("PORTAL_DEMO", default=False)
if PAYMENTS_MOCK_ENABLED and not DEBUG and not PORTAL_DEMO:
    raise ImproperlyConfigured(
        "PAYMENTS_MOCK_ENABLED è attivo con DEBUG spento: in produzione PAYMENTS_MOCK_ENABLED=false, per una demo "
        "PORTAL_DEMO=true. The pagoPA fake is on with DEBUG off: PAYMENTS_MOCK_ENABLED=false, or PORTAL_DEMO=true."
    )
PAGOPA_BASE_URL = env("PAGOPA_BASE_URL", default=f"http://{PORTAL_DOMAIN}/mockpsp/api")
PAGOPA_SUBSCRIPTION_KEY = env("PAGOPA_SUBSCRIPTION_KEY", default="mock-subscription-key")
# Each pagoPA service's own base URL and key (GPD, Checkout, receipts, FdR; from the Comune's onboarding). Empty: the
# two above (Checkout: PAGOPA_BASE_URL/checkout/ec/v2), as the built-in fake serves them all.
PAGOPA_GPD_BASE_URL = env("PAGOPA_GPD_BASE_URL", default="")
PAGOPA_GPD_SUBSCRIPTION_KEY = env("PAGOPA_GPD_SUBSCRIPTION_KEY", default="")
PAGOPA_CHECKOUT_BASE_URL = env("PAGOPA_CHECKOUT_BASE_URL", default="")
PAGOPA_CHECKOUT_SUBSCRIPTION_KEY = env("PAGOPA_CHECKOUT_SUBSCRIPTION_KEY", default="")
PAGOPA_RECEIPTS_BASE_URL = env("PAGOPA_RECEIPTS_BASE_URL", default="")
PAGOPA_RECEIPTS_SUBSCRIPTION_KEY = env("PAGOPA_RECEIPTS_SUBSCRIPTION_KEY", default="")
PAGOPA_FDR_BASE_URL = env("PAGOPA_FDR_BASE_URL", default="")
PAGOPA_FDR_SUBSCRIPTION_KEY = env("PAGOPA_FDR_SUBSCRIPTION_KEY", default="")
# The Comune's station on the Nodo (idPA = the creditor's CF, the broker and the station the onboarding registers).
PAGOPA_ID_PA = env("PAGOPA_ID_PA", default=PAGOPA_CREDITOR_FISCAL_CODE)
PAGOPA_ID_BROKER_PA = env("PAGOPA_ID_BROKER_PA", default=PAGOPA_CREDITOR_FISCAL_CODE)
PAGOPA_ID_STATION = env("PAGOPA_ID_STATION", default=f"{PAGOPA_CREDITOR_FISCAL_CODE}_01")
PAGOPA_TIMEOUT_SECONDS = env.float("PAGOPA_TIMEOUT_SECONDS", default=5.0)
PAGOPA_RETRIES = env.int("PAGOPA_RETRIES", default=2)
# "wsgi": the gateway reaches this process in memory, "": the network. The embedded default (SQLite, fake inside) is in
# memory: over the network the fake answers on another runserver thread, waiting for the caller's database lock.
PAGOPA_HTTP_TRANSPORT = env(
    "PAGOPA_HTTP_TRANSPORT", default="wsgi" if PAYMENTS_MOCK_ENABLED and EMBEDDED_DATABASE else ""
)
# Shared secret of the HMAC signature on posted receipts (the real platform uses mutual TLS instead).
PAYMENTS_WEBHOOK_SECRET = env("PAYMENTS_WEBHOOK_SECRET", default="mock-receipt-secret" if DEBUG else "")
# The receipt endpoint: the largest body read (a receipt is a few kilobytes), and how many refused calls (no valid
# signature, not a receipt, too large) one address may make in a window before it is answered 429 unrecorded.
PAYMENTS_RECEIPT_MAX_BYTES = env.int("PAYMENTS_RECEIPT_MAX_BYTES", default=64 * 1024)
PAYMENTS_RECEIPT_REFUSED_LIMIT = env.int("PAYMENTS_RECEIPT_REFUSED_LIMIT", default=20)
PAYMENTS_RECEIPT_REFUSED_WINDOW_SECONDS = env.int("PAYMENTS_RECEIPT_REFUSED_WINDOW_SECONDS", default=600)
# The station (paSendRTV2) trusts the Nodo's client certificate as the TLS proxy verified it: the header the proxy
# writes its subject in, the subjects allowed (";"-separated), and whether a call without one is refused.
PAGOPA_STATION_CLIENT_CERT_HEADER = env("PAGOPA_STATION_CLIENT_CERT_HEADER", default="X-SSL-Client-S-DN")
PAGOPA_STATION_CLIENT_SUBJECTS = [
    subject.strip() for subject in env("PAGOPA_STATION_CLIENT_SUBJECTS", default="").split(";") if subject.strip()
]
PAGOPA_STATION_REQUIRE_CLIENT_CERT = env.bool("PAGOPA_STATION_REQUIRE_CLIENT_CERT", default=not PAYMENTS_MOCK_ENABLED)
# Safety nets for lost receipts: pull the receipts of the last N days; look up positions still open after N hours.
PAYMENTS_RECEIPTS_PULL_DAYS = env.int("PAYMENTS_RECEIPTS_PULL_DAYS", default=3)
PAYMENTS_POSITIONS_SWEEP_HOURS = env.int("PAYMENTS_POSITIONS_SWEEP_HOURS", default=6)
PAYMENTS_TOPUP_MAX = Decimal(env("PAYMENTS_TOPUP_MAX", default="500.00"))
PAYMENTS_TOPUP_DUE_DAYS = env.int("PAYMENTS_TOPUP_DUE_DAYS", default=30)
PAYMENTS_CART_MAX = 5
# How the fake delivers receipts: "soap" (paSendRTV2 to the station, as the Nodo) or "json" (its signed JSON).
PAGOPA_MOCK_RECEIPT_CHANNEL = env("PAGOPA_MOCK_RECEIPT_CHANNEL", default="soap")
_io = io_settings(env, debug=DEBUG, demo=PORTAL_DEMO, domain=PORTAL_DOMAIN, embedded=EMBEDDED_DATABASE)
IO_MOCK_ENABLED, IO_BASE_URL, IO_SERVICES, IO_REQUESTS_PER_SECOND, IO_TIMEOUT_SECONDS, IO_GIVE_UP_HOURS = _io[:6]
IO_HTTP_TRANSPORT, NOTIFY_DEFAULT_CHANNEL = _io[6:]
INSTALLED_APPS += ["mockpsp", "spididp"] * PAYMENTS_MOCK_ENABLED + ["mockio"] * IO_MOCK_ENABLED  # the fakes
if PAYMENTS_MOCK_ENABLED:
    CELERY_BEAT_SCHEDULE["mockpsp-deliver-due"] = {
        "task": "mockpsp.tasks.receipt_deliveries_send_due_task",
        "schedule": 5.0,
    }

# --- security ----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Bootstrap Italia's font loader injects a <style> element at run time.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # WeasyPrint logs each layout step (and a HarfBuzz warning) per PDF at INFO, fontTools each font subset.
    "loggers": {"weasyprint": {"level": "ERROR"}, "fontTools": {"level": "WARNING"}},
}
