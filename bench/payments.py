"""Payments benchmark: bulk notices, receipts through the intake on gunicorn, notice PDF, notices page queries.

    .venv/bin/python bench/payments.py [--small 1000] [--large 10000] [--receipts 1000] [--clients 4]

Creates a throw-away PostgreSQL database (`portal_bench_payments`, dropped at the end, also on failure), migrates it
and collects static files into a temporary folder. Each measurement that runs Django in process runs in a worker
process of its own (`--worker NAME`, JSON on its last line of output):

1. `families` + `issue`: 3,000 families (bulk), then `notices_issue_bulk` of 200 (warm-up), --small and --large
   notices (half top-ups, half fees; a quarter of the fees in 3 instalments): seconds, notices/s and the per-notice
   cost ratio large/small (target <= 1.2).
2. `receipts`: --receipts signed receipts (ctReceiptV2 JSON, HMAC as the platform signs them) for distinct
   notices, POSTed by --clients threads to the intake on gunicorn (2 sync workers, DEBUG off, the Celery broker in
   memory so that e-mails are queued, not sent): receipts/s, p50/p95 latency, all answered 200 and each credited
   once. Then 30 more, one at a time, timing from the POST to the moment the new balance is visible to another
   database connection (target <= 1 s).
3. `pdf`: the notice PDF (payments.pdf.notice_pdf_get_or_render): first render of a new notice (median of 16,
   pk order, so 2 with instalments) against a minimal WeasyPrint page rendered with the same conventions (one
   FontConfiguration reused; target <= 3x) and a repeated download of the stored file (target >= 20x faster).
   Skipped with a note if payments.pdf does not exist.
4. `queries`: GET reverse("payments:notices") for a parent with 50 notices, in process with the Django test client
   (session and user included, after one warm-up request): SQL query count (target <= 5).

Exits 1 when a target is missed. Talks only to 127.0.0.1; always stops gunicorn and drops the database.
"""

import os
import sys

# Run as a script, this folder comes first on sys.path, and its http.py would shadow the standard library's.
if os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the worker imports the project

import argparse
import contextlib
import http.client
import json
import queue
import secrets
import shutil
import statistics
import subprocess
import tempfile
import threading
import time

import psycopg

from bench.database import database_drop, database_recreate, database_url
from bench.http import free_port, gunicorn_start, gunicorn_stop, healthz_wait

DB_NAME = "portal_bench_payments"
REDIS_URL = "redis://127.0.0.1:6379/3"
BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_PYTHON = os.path.join(BASE_DIR, ".venv", "bin", "python")
WEBHOOK_SECRET = "bench-receipt-secret"
FAMILIES = 3_000
LATENCY_SAMPLES = 30
TARGET_ISSUE_RATIO = 1.2
TARGET_BALANCE_SECONDS = 1.0
TARGET_PDF_RATIO = 3.0
TARGET_PDF_REPEAT_SPEEDUP = 20.0
TARGET_PAGE_QUERIES = 5


def bench_env(static_root: str, media_root: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_DEBUG": "false",  # DEBUG would keep every SQL statement in memory
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url(DB_NAME),
            "REDIS_URL": REDIS_URL,
            # Tasks (publication, e-mails) are queued in memory and never run: workers' work, not measured here.
            "CELERY_BROKER_URL": "memory://",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "PAYMENTS_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "PAYMENTS_MOCK_ENABLED": "false",
            "STATIC_ROOT": static_root,
            "MEDIA_ROOT": media_root,
            "DJANGO_LOG_LEVEL": "WARNING",
        }
    )
    env.pop("DJANGO_READ_DOT_ENV_FILE", None)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([VENV_PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def run_worker(env: dict[str, str], name: str, *extra: str) -> dict:
    result = subprocess.run(
        [VENV_PYTHON, os.path.abspath(__file__), "--worker", name, *extra],
        cwd=BASE_DIR,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-5000:])
        raise RuntimeError(f"the {name} worker exited with status {result.returncode}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- workers (each in a process of its own, Django set up on the bench database) -----------------------------


def _cf(prefix: str, number: int) -> str:
    return f"{prefix}{number:010d}"  # 16 upper-case characters, as the models require (not a checked CF)


def worker_families(count: int) -> dict:
    from django.db import transaction

    from accounts.models import Child, Guardianship, User

    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(
                    codice_fiscale=_cf("BNCPRN", n),
                    email=f"genitore{n}@bench.example.it",
                    first_name="Genitore",
                    last_name=f"Numero {n}",
                    password="!",
                )
                for n in range(count)
            ],
            batch_size=1000,
        )
        children = Child.objects.bulk_create(
            [
                Child(
                    codice_fiscale=_cf("BNCFGL", n),
                    first_name="Bambino",
                    last_name=f"Numero {n}",
                    birth_date="2018-05-01",
                    sex="M" if n % 2 else "F",
                )
                for n in range(count)
            ],
            batch_size=1000,
        )
        Guardianship.objects.bulk_create(
            [
                Guardianship(adult=user, child=child, role=Guardianship.Role.REFERENCE)
                for user, child in zip(users, children, strict=True)
            ],
            batch_size=1000,
        )
    return {"families": count}


def _specs(count: int, families: list, offset: int) -> list[dict]:
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    due = timezone.localdate() + datetime.timedelta(days=30)
    specs = []
    for n in range(count):
        user, child = families[(offset + n) % len(families)]
        spec = {
            "child": child,
            "service_kind": ("canteen", "transport", "nursery")[n % 3],
            "purpose": "topup" if n % 2 == 0 else "fee",
            "amount": Decimal("120.00"),
            "causale": f"Servizi scolastici a.s. 2026/2027 - {child.first_name} {child.last_name}",
            "due_date": due,
            "payer": user,
        }
        if n % 8 == 1:  # a quarter of the fees, in three instalments
            spec["instalments"] = [(Decimal("40.00"), due + datetime.timedelta(days=90 * k)) for k in range(3)]
        specs.append(spec)
    return specs


def worker_issue(small: int, large: int) -> dict:
    import gc

    from accounts.models import Guardianship
    from payments.services import notices_issue_bulk

    families = [(g.adult, g.child) for g in Guardianship.objects.select_related("adult", "child").order_by("pk")]
    timings = {}
    offset = 0
    for label, count in (("warmup", 200), ("small", small), ("large", large)):
        specs = _specs(count, families, offset)
        offset += count
        gc.collect()
        start = time.perf_counter()
        issued = notices_issue_bulk(specs=specs)
        timings[label] = {"count": issued, "seconds": time.perf_counter() - start}
    return timings


def worker_receipts_prepare(count: int, path: str) -> dict:
    """Signed receipts for `count` distinct unpaid top-up notices (each with its child and balance row)."""
    import hashlib
    import hmac

    from django.conf import settings
    from django.urls import reverse
    from django.utils import timezone

    from payments.models import PaymentOption

    options = list(
        PaymentOption.objects.filter(instalment=0, notice__purpose="topup", paid_at__isnull=True)
        .select_related("notice")
        .order_by("pk")[:count]
    )
    if len(options) < count:
        raise RuntimeError(f"only {len(options)} unpaid top-up notices for {count} receipts")
    now = timezone.localtime().replace(microsecond=0).isoformat()
    items = []
    for n, option in enumerate(options):
        cents = int(option.amount * 100)
        body = {
            "receiptId": f"bench{n:010d}{secrets.token_hex(6)}",
            "noticeNumber": option.notice_number,
            "fiscalCode": settings.PAGOPA_CREDITOR_FISCAL_CODE,
            "outcome": "OK",
            "creditorReferenceId": option.iuv,
            "paymentAmount": f"{cents // 100}.{cents % 100:02d}",
            "description": option.notice.causale,
            "companyName": settings.PAGOPA_CREDITOR_NAME,
            "debtor": {
                "entityUniqueIdentifierType": "F",
                "entityUniqueIdentifierValue": option.notice.payer_fiscal_code,
            },
            "payer": {
                "entityUniqueIdentifierType": "F",
                "entityUniqueIdentifierValue": option.notice.payer_fiscal_code,
                "fullName": option.notice.payer_name,
            },
            "idPSP": f"BENCHPSP{n % 3}",
            "PSPCompanyName": f"Banca di prova {n % 3}",
            "paymentMethod": "CP",
            "fee": "1.00",
            "paymentDateTime": now,
            "applicationDate": now[:10],
        }
        raw = json.dumps(body, separators=(",", ":"))
        signature = (
            "sha256=" + hmac.new(settings.PAYMENTS_WEBHOOK_SECRET.encode(), raw.encode(), hashlib.sha256).hexdigest()
        )
        items.append(
            {
                "body": raw,
                "signature": signature,
                "child_id": option.notice.child_id,
                "service_kind": option.notice.service_kind,
                "amount": str(option.amount),
            }
        )
    with open(path, "w", encoding="utf-8") as out:
        json.dump(items, out)
    return {"receipts": len(items), "path": reverse("payments:receipt_intake")}


def worker_pdf() -> dict:
    import importlib.util

    if importlib.util.find_spec("payments.pdf") is None:
        return {"skipped": "payments/pdf.py does not exist yet"}
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from payments import pdf
    from payments.models import PaymentNotice

    def timed(function) -> float:
        start = time.perf_counter()
        function()
        return time.perf_counter() - start

    notice_samples = 16  # first renders timed, in pk order (1 in 8 notices of the bench has instalments)
    minimal_samples = 20

    def median_of(function, count: int = minimal_samples) -> float:
        function()
        function()  # two warm-ups
        return statistics.median(timed(function) for _n in range(count))

    notices = list(
        PaymentNotice.objects.filter(pdf="").select_related("child", "payer").order_by("pk")[: notice_samples + 1]
    )
    cold = timed(lambda: pdf.notice_pdf_get_or_render(notice=notices[0]))  # the process's very first PDF
    # The baseline follows the notice's conventions: portal.pdf keeps one FontConfiguration per thread for the
    # process's life, so the minimal page reuses one too. WeasyPrint's default (a new FontConfiguration, i.e. a new
    # fontconfig set-up and font loading, at every call) is measured as well, for reference only.
    font_config = FontConfiguration()
    minimal = median_of(lambda: HTML(string="<p>Hello</p>").write_pdf(font_config=font_config))
    minimal_default = median_of(lambda: HTML(string="<p>Hello</p>").write_pdf())
    single, instalments = [], []
    for notice in notices[1:]:
        seconds = timed(lambda n=notice: pdf.notice_pdf_get_or_render(notice=n))
        (instalments if len(notice.options.all()) > 1 else single).append(seconds)  # prefetched by the render
    stored = notices[1]
    stored.refresh_from_db()
    size = len(pdf.notice_pdf_get_or_render(notice=stored))
    repeat = statistics.median(timed(lambda: pdf.notice_pdf_get_or_render(notice=stored)) for _n in range(20))
    return {
        "cold": cold,
        "minimal": minimal,
        "minimal_default": minimal_default,
        "minimal_samples": minimal_samples,
        "first": statistics.median(single + instalments),
        "first_single": statistics.median(single) if single else None,
        "first_instalments": statistics.median(instalments) if instalments else None,
        "samples": len(single + instalments),
        "instalment_samples": len(instalments),
        "repeat": repeat,
        "bytes": size,
    }


def worker_queries() -> dict:
    import datetime
    from decimal import Decimal

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import Child, Guardianship, User
    from payments.services import notices_issue_bulk

    user = User.objects.create(
        codice_fiscale=_cf("PAGPGN", 1), email="pagina@bench.example.it", first_name="Anna", last_name="Pagina"
    )
    children = [
        Child.objects.create(
            codice_fiscale=_cf("PAGFGL", n), first_name=name, last_name="Pagina", birth_date="2018-01-01", sex="F"
        )
        for n, name in enumerate(["Giulia", "Marco"])
    ]
    for child in children:
        Guardianship.objects.create(adult=user, child=child, role=Guardianship.Role.REFERENCE)
    today = timezone.localdate()
    notices_issue_bulk(
        specs=[
            {
                "child": children[n % 2],
                "service_kind": "canteen",
                "purpose": "topup" if n % 2 else "fee",
                "amount": Decimal("25.00"),
                "causale": f"Ricarica mensa n. {n}",
                "due_date": today + datetime.timedelta(days=n + 1),
                "payer": user,
            }
            for n in range(50)
        ]
    )
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    url = reverse("payments:notices")
    warm = client.get(url, secure=True)
    if warm.status_code != 200:
        raise RuntimeError(f"GET {url} answered {warm.status_code}")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, secure=True)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return {"url": url, "queries": [q["sql"] for q in ctx.captured_queries], "bytes": len(response.content)}


def worker(name: str, args: argparse.Namespace) -> None:
    import django

    django.setup()
    if name == "families":
        result = worker_families(FAMILIES)
    elif name == "issue":
        result = worker_issue(args.small, args.large)
    elif name == "receipts":
        result = worker_receipts_prepare(args.receipts + LATENCY_SAMPLES, args.data)
    elif name == "pdf":
        result = worker_pdf()
    elif name == "queries":
        result = worker_queries()
    else:
        raise SystemExit(f"unknown worker {name}")
    print(json.dumps(result))


# --- receipts over HTTP ----------------------------------------------------------------------------------------


def post_receipt(port: int, path: str, item: dict) -> tuple[int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {
        "Host": f"127.0.0.1:{port}",
        "X-Forwarded-Proto": "https",
        "Content-Type": "application/json",
        "X-PagoPA-Signature": item["signature"],
    }
    start = time.perf_counter()
    try:
        conn.request("POST", path, body=item["body"].encode(), headers=headers)
        response = conn.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        conn.close()
    return status, time.perf_counter() - start


def receipts_load(port: int, path: str, items: list[dict], clients: int) -> tuple[list[int], list[float], float]:
    work: queue.Queue = queue.Queue()
    for item in items:
        work.put(item)
    statuses, latencies = [], []
    lock = threading.Lock()

    def client() -> None:
        while True:
            try:
                item = work.get_nowait()
            except queue.Empty:
                return
            status, seconds = post_receipt(port, path, item)
            with lock:
                statuses.append(status)
                latencies.append(seconds)

    threads = [threading.Thread(target=client, daemon=True) for _n in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses, latencies, time.perf_counter() - start


def balance_latency(port: int, path: str, items: list[dict]) -> list[float]:
    """POST one receipt at a time; time until another connection sees the child's balance moved by its amount."""
    from decimal import Decimal

    samples = []
    with psycopg.connect(database_url(DB_NAME).replace("postgres://", "postgresql://"), autocommit=True) as conn:

        def balance(item: dict) -> Decimal:
            row = conn.execute(
                "SELECT amount FROM payments_balance WHERE child_id = %s AND service_kind = %s",
                (item["child_id"], item["service_kind"]),
            ).fetchone()
            return row[0] if row else Decimal("0.00")

        for item in items:
            expected = balance(item) + Decimal(item["amount"])
            start = time.perf_counter()
            status, _seconds = post_receipt(port, path, item)
            if status != 200:
                raise RuntimeError(f"receipt answered {status}")
            while balance(item) != expected:
                if time.perf_counter() - start > 10:
                    raise RuntimeError("the balance did not move within 10 s")
                time.sleep(0.002)
            samples.append(time.perf_counter() - start)
    return samples


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def db_counts() -> dict:
    with psycopg.connect(database_url(DB_NAME).replace("postgres://", "postgresql://")) as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "receipts": one("SELECT count(*) FROM payments_receipt"),
            "credits": one("SELECT count(*) FROM payments_ledgerentry WHERE receipt_id IS NOT NULL"),
            "outbox": one("SELECT count(*) FROM portal_outboxemail WHERE kind = 'payment_receipt'"),
            "mismatched_balances": one(
                "SELECT count(*) FROM payments_balance b WHERE b.amount <> COALESCE((SELECT sum(e.amount) FROM "
                "payments_ledgerentry e WHERE e.child_id = b.child_id AND e.service_kind = b.service_kind), 0)"
            ),
        }


# --- main ------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--receipts", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=4, help="threads posting receipts")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args)
        return 0

    failures: list[str] = []
    static_root = tempfile.mkdtemp(prefix="portal-bench-static-")
    media_root = tempfile.mkdtemp(prefix="portal-bench-media-")
    data_path = os.path.join(tempfile.gettempdir(), f"portal-bench-receipts-{os.getpid()}.json")
    log_path = os.path.join(tempfile.gettempdir(), f"portal-bench-payments-gunicorn-{os.getpid()}.log")
    env = bench_env(static_root, media_root)
    proc = None
    try:
        print(f"Preparing database {DB_NAME} (migrate) and static files ...", flush=True)
        database_recreate(DB_NAME)
        manage(env, "migrate", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        run_worker(env, "families")

        # 1. issuing notices
        issue = run_worker(env, "issue", "--small", str(args.small), "--large", str(args.large))
        per = {label: r["seconds"] / r["count"] for label, r in issue.items()}
        ratio = per["large"] / per["small"]
        print()
        print("1. Issuing notices in bulk (notices_issue_bulk: checks, IUVs, notices, options, fee debits, balances)")
        for label in ("small", "large"):
            r = issue[label]
            print(
                f"   {r['count']:>6} notices in {r['seconds']:6.2f} s = {r['count'] / r['seconds']:7.0f} notices/s "
                f"({per[label] * 1000:.3f} ms each)"
            )
        print(f"   per-notice cost ratio {args.large}/{args.small}: {ratio:.2f} (target <= {TARGET_ISSUE_RATIO})")
        if ratio > TARGET_ISSUE_RATIO:
            failures.append(f"issue ratio {ratio:.2f} > {TARGET_ISSUE_RATIO}")

        # 2. receipts through the intake on gunicorn
        prepared = run_worker(env, "receipts", "--receipts", str(args.receipts), "--data", data_path)
        with open(data_path, encoding="utf-8") as fh:
            items = json.load(fh)
        port = free_port()
        proc = gunicorn_start(env, port, log_path)
        healthz_wait(port, proc)
        post_receipt(port, prepared["path"], {"body": "{}", "signature": "sha256=0"})  # warm both workers' imports
        post_receipt(port, prepared["path"], {"body": "{}", "signature": "sha256=0"})
        statuses, latencies, seconds = receipts_load(port, prepared["path"], items[: args.receipts], args.clients)
        visible = balance_latency(port, prepared["path"], items[args.receipts :])
        counts = db_counts()
        ok = statuses.count(200)
        print()
        print(
            f"2. Receipts POSTed to {prepared['path']} on gunicorn (2 sync workers) by {args.clients} client threads"
        )
        print(
            f"   {len(statuses)} receipts in {seconds:.2f} s = {len(statuses) / seconds:.1f} receipts/s; "
            f"latency p50 {percentile(latencies, 50) * 1000:.1f} ms, p95 {percentile(latencies, 95) * 1000:.1f} ms; "
            f"{ok} answered 200"
        )
        print(
            f"   receipt → balance visible to another connection ({len(visible)} one at a time): "
            f"p50 {percentile(visible, 50) * 1000:.1f} ms, p95 {percentile(visible, 95) * 1000:.1f} ms, "
            f"max {max(visible) * 1000:.1f} ms (target <= {TARGET_BALANCE_SECONDS:g} s)"
        )
        total = args.receipts + len(visible)
        print(
            f"   database: {counts['receipts']} receipts, {counts['credits']} ledger credits, {counts['outbox']} "
            f"confirmation e-mails queued, {counts['mismatched_balances']} balances different from their entries "
            f"(expected {total}, {total}, {total}, 0)"
        )
        if ok != len(statuses):
            failures.append(f"{len(statuses) - ok} receipts not answered 200")
        if max(visible) > TARGET_BALANCE_SECONDS:
            failures.append(f"receipt → balance {max(visible):.2f} s > {TARGET_BALANCE_SECONDS} s")
        if (counts["receipts"], counts["credits"], counts["outbox"], counts["mismatched_balances"]) != (
            total,
            total,
            total,
            0,
        ):
            failures.append(f"database counts {counts}")
        gunicorn_stop(proc)
        proc = None

        # 3. notice PDF
        pdf = run_worker(env, "pdf")
        print()
        print("3. Notice PDF (payments.pdf.notice_pdf_get_or_render)")
        if "skipped" in pdf:
            print(f"   skipped: {pdf['skipped']}")
        else:
            pdf_ratio = pdf["first"] / pdf["minimal"]
            speedup = pdf["first"] / pdf["repeat"]
            print(
                f"   minimal WeasyPrint page <p>Hello</p> {pdf['minimal'] * 1000:.1f} ms with one FontConfiguration "
                f"reused, as portal.pdf does (WeasyPrint's default, a new one per call: "
                f"{pdf['minimal_default'] * 1000:.1f} ms; medians of {pdf['minimal_samples']})"
            )
            print(
                f"   first render of a notice {pdf['first'] * 1000:.0f} ms (median of {pdf['samples']}: one page "
                f"{(pdf['first_single'] or 0) * 1000:.0f} ms, {pdf['instalment_samples']} with instalments "
                f"{(pdf['first_instalments'] or 0) * 1000:.0f} ms; the process's very first {pdf['cold'] * 1000:.0f} "
                f"ms); {pdf['bytes'] / 1024:.0f} KB"
            )
            print(
                f"   first render / minimal page: {pdf_ratio:.2f} (target <= {TARGET_PDF_RATIO:g}); against "
                f"WeasyPrint's default call: {pdf['first'] / pdf['minimal_default']:.2f}"
            )
            print(
                f"   repeat download {pdf['repeat'] * 1000:.2f} ms: {speedup:.0f}x faster than the first render "
                f"(target >= {TARGET_PDF_REPEAT_SPEEDUP:g}x)"
            )
            if pdf_ratio > TARGET_PDF_RATIO:
                failures.append(f"PDF ratio {pdf_ratio:.2f} > {TARGET_PDF_RATIO}")
            if speedup < TARGET_PDF_REPEAT_SPEEDUP:
                failures.append(f"PDF repeat speed-up {speedup:.1f} < {TARGET_PDF_REPEAT_SPEEDUP}")

        # 4. notices page
        page = run_worker(env, "queries")
        print()
        print(f"4. GET {page['url']} with 50 notices (2 children), warm, in process")
        print(
            f"   {len(page['queries'])} SQL queries (target <= {TARGET_PAGE_QUERIES}); page {page['bytes'] // 1024} KB"
        )
        for number, sql in enumerate(page["queries"], 1):
            print(f"   {number}. {sql[:150]}")
        if len(page["queries"]) > TARGET_PAGE_QUERIES:
            failures.append(f"notices page: {len(page['queries'])} queries > {TARGET_PAGE_QUERIES}")
    except BaseException:
        if os.path.exists(log_path):
            with open(log_path, encoding="utf-8", errors="replace") as fh:
                print("--- last lines of the gunicorn log ---\n" + "".join(fh.readlines()[-30:]), file=sys.stderr)
        raise
    finally:
        if proc is not None:
            gunicorn_stop(proc)
        database_drop(DB_NAME)
        shutil.rmtree(static_root, ignore_errors=True)
        shutil.rmtree(media_root, ignore_errors=True)
        for path in (data_path, log_path):
            with contextlib.suppress(OSError):
                os.remove(path)

    print()
    print(f"Machine: {os.cpu_count()} cores shared by gunicorn, PostgreSQL and the load generator.")
    for failure in failures:
        print(f"FAILED: {failure}")
    print("OK" if not failures else "Some targets were missed.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
