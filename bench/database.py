"""Throw-away PostgreSQL databases for the benchmarks (loopback server, user postgres, trust auth)."""

import psycopg
from psycopg import sql

PG_PORT = 5432  # the machine's server; the load and fault benchmarks start a cluster of their own (bench.stack)


def admin_dsn(port: int = PG_PORT) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def database_url(name: str, port: int = PG_PORT) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/{name}"


def database_drop(name: str, port: int = PG_PORT) -> None:
    with psycopg.connect(admin_dsn(port), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def database_recreate(name: str, port: int = PG_PORT) -> None:
    database_drop(name, port)
    with psycopg.connect(admin_dsn(port), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def in_process_env(name: str, **extra: str) -> dict[str, str]:
    """The environment of a benchmark that runs Django in its own process on the throw-away database `name`:
    production settings (DEBUG off, fresh secrets), Celery tasks queued in memory, the pagoPA fake off."""
    import base64
    import secrets

    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "MFA_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "DATABASE_URL": database_url(name),
        "CELERY_BROKER_URL": "memory://",
        "PAYMENTS_MOCK_ENABLED": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        **extra,
    }
