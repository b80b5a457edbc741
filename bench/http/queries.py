"""The SQL of one family page, measured in this process on the bench database with the signed-in session."""

import os
import re

from bench.http import DEMO_CF, FAMILY


def family_queries(env: dict[str, str], session_id: str) -> tuple[list[dict], list[dict]]:
    """SQL of GET /famiglia/ run in this process on the bench database, with the session made by the login.

    Returns the queries of a cold request (cache of current legal documents emptied) and of a warm one.
    """
    os.environ.update({k: v for k, v in env.items() if k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "STATIC_"))})
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.selectors import CURRENT_DOCUMENTS_CACHE_KEY

    client = Client(SERVER_NAME="127.0.0.1")
    client.cookies["sessionid"] = session_id

    def one() -> list[dict]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(FAMILY, secure=True)
        assert response.status_code == 200, f"in-process GET {FAMILY} answered {response.status_code}"
        assert DEMO_CF.encode() in response.content
        return list(ctx.captured_queries)

    cache.delete(CURRENT_DOCUMENTS_CACHE_KEY)
    connection.close()
    cold = one()
    one()
    warm = one()
    connection.close()
    return cold, warm


def sql_shape(statement: str) -> str:
    """The statement without its literals (timestamps and ids change from one request to the next)."""
    return re.sub(r"'[^']*'|\b\d+\b", "?", statement)
