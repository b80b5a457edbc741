"""Payments benchmark: bulk notices, receipts through the intake on gunicorn, notice PDF, notices page queries.

    .venv/bin/python -m bench.payments [--small 1000] [--large 10000] [--receipts 1000] [--clients 4]

Creates a throw-away PostgreSQL database (`portal_bench_payments`, dropped at the end, also on failure), migrates it
and collects static files into a temporary folder. Each measurement that runs Django in process runs in a worker
process of its own (`--worker NAME`, JSON on its last line of output; `workers`):

1. `families` + `issue`: 3,000 families (bulk), then `notices_issue_bulk` of 200 (warm-up), --small and --large
   notices (half top-ups, half fees; a quarter of the fees in 3 instalments): seconds, notices/s and the per-notice
   cost ratio large/small (target <= 1.2).
2. `receipts`: --receipts signed receipts (ctReceiptV2 JSON, HMAC as the platform signs them) for distinct
   notices, POSTed by --clients threads to the intake on gunicorn (2 sync workers, DEBUG off, the Celery broker in
   memory so that e-mails are queued, not sent): receipts/s, p50/p95 latency, all answered 200 and each credited
   once; then --receipts more as paSendRTV2 SOAP envelopes to the station (mutual TLS subject passed as by the
   proxy): receipts/s, p95, and the ratio to the JSON channel's rate (target >= 0.8). Then 30 more, one at a time,
   timing from the POST to the moment the new balance is visible to another
   database connection (target <= 1 s).
3. `pdf`: the notice PDF (payments.pdf.notice_pdf_get_or_render): first render of a new notice (median of 16,
   pk order, so 2 with instalments) against a minimal WeasyPrint page rendered with the same conventions (one
   FontConfiguration reused; target <= 3x) and a repeated download of the stored file (target >= 20x faster).
   Skipped with a note if payments.pdf does not exist.
4. `queries`: GET reverse("payments:notices") for a parent with 50 notices, in process with the Django test client
   (session and user included, after one warm-up request): SQL query count (target <= 5).

Exits 1 when a target is missed. Talks only to 127.0.0.1; always stops gunicorn and drops the database.

`workers` holds those measurements, `receipts` the HTTP side of the receipts (posting, balance latency, counts),
`__main__` prepares the database, runs the steps and prints the report.
"""

import os

__all__ = [
    "DB_NAME",
    "FAMILIES",
    "LATENCY_SAMPLES",
    "REDIS_URL",
    "TARGET_BALANCE_SECONDS",
    "TARGET_ISSUE_RATIO",
    "TARGET_PAGE_QUERIES",
    "TARGET_PDF_RATIO",
    "TARGET_PDF_REPEAT_SPEEDUP",
    "TARGET_SOAP_RATIO",
    "WEBHOOK_SECRET",
]

# As bench.http: BENCH_DB_NAME and BENCH_REDIS_URL let two runs on one machine keep apart.
DB_NAME = os.environ.get("BENCH_DB_NAME", "portal_bench_payments")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
WEBHOOK_SECRET = "bench-receipt-secret"
FAMILIES = 3_000
LATENCY_SAMPLES = 30
TARGET_ISSUE_RATIO = 1.2
TARGET_BALANCE_SECONDS = 1.0
TARGET_PDF_RATIO = 3.0
TARGET_PDF_REPEAT_SPEEDUP = 20.0
TARGET_PAGE_QUERIES = 5
TARGET_SOAP_RATIO = 0.8
