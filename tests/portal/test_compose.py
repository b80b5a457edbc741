"""docker-compose.yml, the Dockerfile and .env.example agree with what portal/settings.py reads.

Pure file checks (Docker does not run here): the compose file is parsed with PyYAML, the variables the
settings read are collected from their source, so renaming one in settings.py fails these tests until
compose and .env.example follow.
"""

import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "portal" / "settings.py"
SETTINGS_TEST = ROOT / "portal" / "settings_test.py"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"

# env("X", …), env.bool("X", …), env.int / list / db / email_url / str / … ("X", …), and plain os.environ reads.
ENV_READ = re.compile(
    r"""\benv(?:\.(?:str|bool|int|float|list|tuple|dict|json|url|path|db|db_url|email|email_url|cache|cache_url|search_url))?"""
    r"""\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"""
    r"""|\bos\.(?:environ\.get|getenv)\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"""
    r"""|\bos\.environ\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\]"""
)
# The variables production cannot do without (settings fall back to SQLite, eager tasks, mail as files).
REQUIRED_IN_PRODUCTION = {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DJANGO_ALLOWED_HOSTS"}
EXPECTED_SERVICES = {"db", "redis", "web", "worker", "beat", "mail"}
# Values django-environ reads as True.
TRUE_STRINGS = {"true", "on", "ok", "y", "yes", "1"}
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}")


def env_names_read(source: str) -> set[str]:
    return {next(group for group in match.groups() if group) for match in ENV_READ.finditer(source)}


def resolve(value: str) -> str:
    """A compose value as it runs when .env leaves optional variables unset: ${X:-default} gives the default."""
    return INTERPOLATION.sub(lambda m: m["arg"] if m["op"] in (":-", "-") else f"<{m['name']}>", value)


def command_text(command) -> str:
    return " ".join(command) if isinstance(command, list) else str(command or "")


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {name: "" if value is None else str(value) for name, value in env.items()}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    lines = [line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\s*\n", " ", "\n".join(lines))
    pairs = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            pairs.append((instruction.upper(), arguments.strip()))
    return pairs


@pytest.fixture(scope="module")
def settings_names() -> set[str]:
    return env_names_read(SETTINGS.read_text())


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def app_services(services: dict) -> dict:
    """The services that run the portal's own image (built from the Dockerfile)."""
    return {name: service for name, service in services.items() if "build" in service}


# --- the collector itself ------------------------------------------------------------------------


def test_collector_sees_every_way_settings_read_a_variable():
    source = """
DEBUG = env.bool("A_BOOL", default=False)
KEY = env("A_PLAIN")
HOSTS = env.list(
    'A_LIST', default=[]
)
DATABASES = {"default": env.db("A_DB", default="sqlite://")}
vars().update(env.email_url("A_MAIL"))
AGE = env.int("A_INT", default=60)
OTHER = os.environ.get("A_OS")
not_a_read = env.db_url_config(SOME_URL)
"""
    assert env_names_read(source) == {"A_BOOL", "A_PLAIN", "A_LIST", "A_DB", "A_MAIL", "A_INT", "A_OS"}


def test_collector_finds_the_settings_variables(settings_names):
    # A broken regex would make the subset checks below pass vacuously.
    assert settings_names >= REQUIRED_IN_PRODUCTION
    assert settings_names >= {"DJANGO_DEBUG", "MEDIA_ROOT", "PAGOPA_CREDITOR_FISCAL_CODE"}


def test_resolve_takes_defaults_and_marks_required_values():
    assert resolve("${EMAIL_URL:-smtp://mail:1025}") == "smtp://mail:1025"
    assert resolve("postgres://portal:${POSTGRES_PASSWORD:?set it}@db:5432/portal") == (
        "postgres://portal:<POSTGRES_PASSWORD>@db:5432/portal"
    )


# --- docker-compose.yml --------------------------------------------------------------------------


def test_compose_has_the_production_services(services):
    assert set(services) >= EXPECTED_SERVICES


def test_database_and_redis_images_and_healthchecks(services):
    assert str(services["db"]["image"]).startswith("postgres:16")
    assert str(services["redis"]["image"]).startswith("redis:7")
    assert "pg_isready" in command_text(services["db"]["healthcheck"]["test"])
    assert "redis-cli ping" in command_text(services["redis"]["healthcheck"]["test"])


def test_database_data_and_media_live_on_named_volumes(compose, services):
    volumes = set(compose.get("volumes") or {})
    db_mounts = dict(str(mount).split(":")[:2] for mount in services["db"]["volumes"])
    assert {source for source, target in db_mounts.items() if target == "/var/lib/postgresql/data"} <= volumes
    assert "/var/lib/postgresql/data" in db_mounts.values()

    media_root = environment(services["web"])["MEDIA_ROOT"]
    for name in ("web", "worker"):
        mounts = dict(str(mount).split(":")[:2] for mount in services[name].get("volumes") or [])
        assert media_root in mounts.values(), f"{name}: MEDIA_ROOT {media_root} is not on a volume"
        assert {source for source, target in mounts.items() if target == media_root} <= volumes


def test_web_runs_gunicorn_on_the_wsgi_application(services):
    command = command_text(services["web"].get("command")) or dockerfile_cmd()
    assert re.search(r"\bgunicorn\b.*\bportal\.wsgi(:application)?\b", command), command
    assert "0.0.0.0:8000" in command


def test_worker_and_beat_run_celery(services):
    assert re.search(r"\bcelery\s+-A\s+portal\s+worker\b", command_text(services["worker"]["command"]))
    assert re.search(r"\bcelery\s+-A\s+portal\s+beat\b", command_text(services["beat"]["command"]))


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_app_services_wait_for_healthy_database_and_broker(services, name):
    depends_on = services[name].get("depends_on")
    assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions, not a plain list"
    assert depends_on["db"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"


def test_web_healthcheck_asks_healthz(services):
    healthcheck = services["web"]["healthcheck"]
    assert not healthcheck.get("disable")
    assert "/healthz" in command_text(healthcheck["test"])


def test_migrations_run_before_the_app_starts(services):
    """Either web migrates first in its own command, or every app service waits for a one-shot migrator."""
    if "migrate" in command_text(services["web"].get("command")):
        return
    migrators = {
        name for name, service in services.items() if "manage.py migrate" in command_text(service.get("command"))
    }
    assert migrators, "nothing runs `manage.py migrate`"
    for name in ("web", "worker", "beat"):
        conditions = {dep: spec.get("condition") for dep, spec in services[name]["depends_on"].items()}
        assert any(conditions.get(m) == "service_completed_successfully" for m in migrators), name


def test_app_environment_only_sets_variables_settings_read(services, settings_names):
    for name, service in app_services(services).items():
        unknown = set(environment(service)) - settings_names
        assert not unknown, f"{name} sets variables portal/settings.py never reads: {sorted(unknown)}"


def test_web_sets_the_production_variables(services):
    env = environment(services["web"])
    missing = {name for name in REQUIRED_IN_PRODUCTION if not resolve(env.get(name, "")).strip()}
    assert not missing, f"web lacks {sorted(missing)}"
    # The key comes from .env and compose refuses to start without it: never a literal in the file.
    assert re.fullmatch(r"\$\{DJANGO_SECRET_KEY:?\?[^}]*\}", env["DJANGO_SECRET_KEY"])


def test_web_trusts_the_one_proxy_in_front_of_it(services):
    # Behind the TLS proxy every request comes from the proxy: without this, rate limits count one client.
    env = environment(services["web"])
    assert resolve(env.get("DJANGO_TRUSTED_PROXY_COUNT", "")) == "1"


def test_debug_is_off_and_not_left_to_dot_env(services):
    for name, service in app_services(services).items():
        debug = environment(service).get("DJANGO_DEBUG")
        if debug is None:
            continue  # settings default to DEBUG off
        assert "${" not in debug, f"{name}: DJANGO_DEBUG must be fixed in compose"
        assert debug.strip().lower() not in TRUE_STRINGS, f"{name}: DJANGO_DEBUG={debug}"


def test_service_urls_point_at_compose_services(services):
    env = environment(services["web"])
    expected = {"DATABASE_URL": ("postgres", "db"), "REDIS_URL": ("redis", "redis"), "EMAIL_URL": ("smtp", "mail")}
    for variable, (scheme, host) in expected.items():
        url = urlsplit(resolve(env[variable]))
        assert url.scheme.startswith(scheme), f"{variable}={env[variable]}"
        assert url.hostname == host, f"{variable} should reach the `{host}` service"


# --- Dockerfile ----------------------------------------------------------------------------------


def dockerfile_cmd() -> str:
    commands = [arguments for instruction, arguments in dockerfile_instructions() if instruction == "CMD"]
    assert commands, "the Dockerfile has no CMD"
    return commands[-1]


def test_dockerfile_serves_gunicorn_and_has_a_healthcheck():
    assert DOCKERFILE.is_file()
    instructions = dockerfile_instructions()
    assert instructions[0][0] in {"FROM", "ARG"}
    assert any(i == "FROM" and a.startswith("python:3.11-slim-bookworm") for i, a in instructions)
    assert re.search(r"gunicorn.*portal\.wsgi", dockerfile_cmd())
    healthchecks = [arguments for instruction, arguments in instructions if instruction == "HEALTHCHECK"]
    assert healthchecks, "the Dockerfile has no HEALTHCHECK"
    assert "/healthz" in healthchecks[-1]


def test_dockerfile_runs_as_a_non_root_user():
    users = [arguments for instruction, arguments in dockerfile_instructions() if instruction == "USER"]
    assert users, "the Dockerfile never leaves root"
    assert shlex.split(users[-1])[0].split(":")[0] not in {"root", "0"}


# --- .env.example --------------------------------------------------------------------------------


def env_example_names() -> set[str]:
    """Names assigned in .env.example, active (NAME=…) or documented as optional (#NAME=…)."""
    return set(re.findall(r"^#?\s*([A-Za-z_][A-Za-z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))


def test_env_example_lists_every_variable_the_settings_read(settings_names):
    read = settings_names | env_names_read(SETTINGS_TEST.read_text())
    missing = read - env_example_names()
    assert not missing, f".env.example does not mention {sorted(missing)}"


def test_env_example_documents_each_variable_and_holds_no_secret():
    lines = ENV_EXAMPLE.read_text().splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"^#?\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if not match:
            continue
        assert index > 0, f"{match[1]} has no comment above it"
        above = lines[index - 1]
        assert above.startswith("# "), f"{match[1]} has no one-line comment above it"
        assert not re.match(r"^#?\s*[A-Za-z_][A-Za-z0-9_]*=", above), f"{match[1]} has no comment of its own"
        if match[1] in {"DJANGO_SECRET_KEY", "POSTGRES_PASSWORD"}:
            assert not line.startswith("#"), f"{match[1]} must be an active line (compose requires it)"
            assert match[2] == "", f"{match[1]} must ship empty, never with a value"


def test_env_example_covers_what_compose_interpolates():
    """Every ${VAR} docker-compose.yml takes from .env is documented there."""
    interpolated = {m["name"] for m in INTERPOLATION.finditer(COMPOSE.read_text())}
    missing = interpolated - env_example_names()
    assert not missing, f".env.example does not mention {sorted(missing)}"
