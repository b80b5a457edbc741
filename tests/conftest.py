import datetime

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.utils import timezone

from accounts import services as account_services
from accounts.models import LegalDocument, User
from accounts.selectors import legal_documents_local_clear
from tests import family_cache_guard

PASSWORD = "Correct-Horse-2026"


def _services_line() -> str:
    from django.conf import settings

    if settings.SERVICES_MISSING:
        return (
            f"PostgreSQL/Redis NOT reachable ({', '.join(settings.SERVICES_MISSING)}): ran on SQLite with eager "
            "tasks; locks and constraints were NOT tested as in production (CI=true makes this an error)"
        )
    return f"services: PostgreSQL {settings.TEST_DATABASE_URL}, Redis {settings.TEST_REDIS_URL}"


def pytest_report_header(config):
    return _services_line()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from django.conf import settings

    if settings.SERVICES_MISSING:
        terminalreporter.write_sep("!", _services_line(), red=True, bold=True)


def cache_clear_own_keys() -> None:
    """Empty this run's cache keys only: Redis is shared with other runs (cache.clear() is a FLUSHDB)."""
    client = getattr(cache, "_cache", None)
    if client is None or not hasattr(client, "get_client"):
        cache.clear()
        return
    redis = client.get_client(write=True)
    keys = list(redis.scan_iter(match=cache.make_key("*"), count=1000))
    if keys:
        redis.delete(*keys)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test: a clean cache (rate limits, current documents) and its own media folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    cache_clear_own_keys()
    legal_documents_local_clear()
    yield
    cache_clear_own_keys()
    legal_documents_local_clear()


@pytest.fixture(autouse=True)
def _family_cache_guard(monkeypatch, request):
    """Every test: a service that writes what the family page or the payments page shows without invalidating the
    family summary fails the test (tests/family_cache_guard.py). `@pytest.mark.family_cache_unguarded` turns it off
    for the tests that check the guard itself."""
    if request.node.get_closest_marker("family_cache_unguarded"):
        yield None
        return
    with family_cache_guard.tracking(monkeypatch) as tracker:
        yield tracker
    missing = tracker.missing()
    if missing:
        pytest.fail(family_cache_guard.report(missing), pytrace=False)


@pytest.fixture
def legal_documents(db):
    documents = []
    for kind, title in [(LegalDocument.Kind.TERMS, "Condizioni d'uso"), (LegalDocument.Kind.PRIVACY, "Privacy")]:
        document = LegalDocument.objects.create(kind=kind, version="1", title=title, body=f"Testo di {title}.")
        documents.append(account_services.legal_document_publish(document=document, when=timezone.now()))
    account_services.legal_documents_cache_clear()
    return documents


def make_user(*, codice_fiscale: str, email: str, verified: bool = True, documents=(), **extra) -> User:
    user = User.objects.create_user(
        codice_fiscale,
        email,
        PASSWORD,
        first_name=extra.pop("first_name", "Maria"),
        last_name=extra.pop("last_name", "Rossi"),
        **extra,
    )
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    if documents:
        account_services.consent_accept(user=user, documents=list(documents), ip_address=None)
    return user


@pytest.fixture
def parent(legal_documents) -> User:
    return make_user(codice_fiscale="RSSMRA85C52H501N", email="maria.rossi@example.it", documents=legal_documents)


@pytest.fixture
def other_parent(legal_documents) -> User:
    return make_user(
        codice_fiscale="BNCLCU82L04F205H",
        email="luca.bianchi@example.it",
        first_name="Luca",
        last_name="Bianchi",
        documents=legal_documents,
    )


GIULIA = {
    "codice_fiscale": "RSSGLI18C52H501V",
    "first_name": "Giulia",
    "last_name": "Rossi",
    "birth_date": datetime.date(2018, 3, 12),
    "sex": "F",
}


@pytest.fixture
def giulia(parent):
    """Maria Rossi's daughter: the parent fixture is her adult of reference."""
    return account_services.child_add(adult=parent, **GIULIA)


@pytest.fixture
def parent_client(client, parent):
    client.force_login(parent)
    return client
