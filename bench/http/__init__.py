"""HTTP benchmark: the family page against a constant view, on gunicorn, in one run.

    .venv/bin/python -m bench.http [--duration 5] [--rounds 4] [--clients 4] [--baseline anonymous|signed-in]

Creates a throw-away PostgreSQL database (portal_bench), migrates and seeds it, collects static files into
a temporary folder, starts gunicorn (2 sync workers, DEBUG off, DJANGO_ROOT_URLCONF=bench.urls), signs in
as the demo parent through the real allauth form, then loads GET /famiglia/, GET /pagamenti/avvisi/ and
GET /bench/constant (without and with the session cookie) in alternating rounds from N client threads.
Prints requests per second, p50/p95 latency, the ratio rps(famiglia)/rps(constant) (target >= 0.5;
--baseline picks which constant run is gated, both are printed; the payments page's ratio is printed, not
gated) and the SQL queries of one family page, measured in process with CaptureQueriesContext on the same
database and session (target <= 8).
Exits 1 when a target is missed. Talks only to 127.0.0.1; always stops gunicorn and drops the database.

`client` signs in and loads the endpoints, `queries` counts the SQL of one family page in process, `__main__`
prepares the database and gunicorn, runs the rounds and prints the report.
"""

import os

__all__ = [
    "CONSTANT",
    "DB_NAME",
    "DEMO_CF",
    "DEMO_PASSWORD",
    "FAMILY",
    "PAYMENTS",
    "REDIS_URL",
    "TARGET_QUERIES",
    "TARGET_RATIO",
]

# Two runs at once on one machine (several developers or agents) each need their own database and Redis db.
DB_NAME = os.environ.get("BENCH_DB_NAME", "portal_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
DEMO_CF = "RSSMRA85C52H501N"
DEMO_PASSWORD = "Scuola-Demo-2026"
FAMILY = "/famiglia/"
PAYMENTS = "/pagamenti/avvisi/"
CONSTANT = "/bench/constant"
TARGET_RATIO = 0.5
TARGET_QUERIES = 8
