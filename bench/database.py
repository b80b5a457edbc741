"""Throw-away PostgreSQL databases for the benchmarks (loopback server, user postgres, trust auth)."""

import psycopg
from psycopg import sql

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def database_drop(name: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def database_recreate(name: str) -> None:
    database_drop(name)
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
