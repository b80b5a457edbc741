"""Load benchmark: parent journeys with locust against docker-compose.yml's layout, started by the bench.

    .venv/bin/python -m bench.load [--step-seconds 15] [--scenarios iscrizioni,sollecito] [--web-workers 3]

`bench.stack` starts a PostgreSQL cluster and a Redis server of its own (free loopback ports, a temporary folder),
an SMTP sink, gunicorn for the portal (3 sync workers, as compose) and for the fake pagoPA platform, a Celery
worker (2 processes) and beat; migrates, seeds the demo data and bulk-creates families (`fixtures`). Then, per
scenario (`locustfile`: `iscrizioni`, `sollecito`, and `costante`, the bare /bench/constant view), locust runs
headless with a stepped ramp of parent sessions per minute (after a warm-up step at the first rate, not judged)
and stops at the first step that misses p95 < 500 ms with 0 errors. It prints each step, the highest passing rate
per scenario against the constant view's (ratio) and against the target (about 500 parent sessions per minute:
the first hour of an enrollment window in a city of 100,000 pupils), and a cProfile of the slowest portal
endpoint made in process (`profile`). About four minutes; exit status 1 when the target is missed. Talks only to
127.0.0.1; stops everything it started.
"""

__all__ = ["CONSTANT_STEPS", "PARENT_STEPS", "TARGET_P95_MS", "TARGET_SESSIONS_PER_MINUTE"]

TARGET_SESSIONS_PER_MINUTE = 500
TARGET_P95_MS = 500
PARENT_STEPS = [15, 30, 60, 120, 180, 250, 350, 500]
CONSTANT_STEPS = [500, 1000, 2000, 3000, 4000, 6000, 8000]
FAMILIES = 4_000
