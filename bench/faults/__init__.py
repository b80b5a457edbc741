"""Fault benchmark: nothing lost while PostgreSQL restarts, Redis stops, the Celery worker or a gunicorn worker dies.

    .venv/bin/python -m bench.faults [--rate 30] [--redis-seconds 30] [--settle 150]

Starts compose's layout with `bench.stack` (its own PostgreSQL cluster and Redis server on free loopback ports, never
the machine's 5432/6379; an SMTP sink counting messages by Message-ID; gunicorn for the portal and for the fake
platform; a Celery worker and beat), creates families (`bench.load.fixtures`), and runs locust's `sollecito`
journey in the background (sign in, payments page, top-up paid in the fake: each payment is a receipt pushed by the
fake through Celery, a credit and a confirmation e-mail) at --rate sessions per minute, logging every request.
While it runs, one after the other:

a. PostgreSQL restarted (pg_ctl restart -m fast);
b. Redis stopped for --redis-seconds, then started again on its append-only file;
c. a burst of 300 notices to publish and 300 e-mails queued, and the Celery worker killed (SIGKILL, pool included)
   once both are under way; restarted 3 s later;
d. a gunicorn worker busy with a request killed (SIGKILL); the arbiter starts another.

After each it prints the counts (e-mails in the outbox, sent, pending, in the sink, twice, missing; notices not yet
published; receipts at the fake and credited; balances different from the sum of their entries), waiting up to 45 s
for what is pending to drain. At the end the load stops, everything drains (at most --settle seconds: the beat's
retries run every minute) and the verdict is printed: every e-mail sent exactly once, every notice published, every
receipt credited once, no balance off, and no failed request outside the outage windows (each fault's own time plus
5 s). About six minutes; exit status 1 on a broken promise. Talks only to 127.0.0.1; stops everything it started.
"""

__all__ = ["BURST", "GRACE_SECONDS"]

BURST = 300  # notices to publish and e-mails to send when the worker is killed
GRACE_SECONDS = 5.0  # after a service is back, requests that were already waiting may still fail
