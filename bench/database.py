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
