"""Run the payments benchmark: `.venv/bin/python -m bench.payments --help` (see the package's docstring)."""

import argparse
import base64
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile

import bench.payments
from bench.database import database_drop, database_recreate, database_url
from bench.payments import (
    DB_NAME,
    REDIS_URL,
    TARGET_BALANCE_SECONDS,
    TARGET_ISSUE_RATIO,
    TARGET_PAGE_QUERIES,
    TARGET_PDF_RATIO,
    TARGET_PDF_REPEAT_SPEEDUP,
    TARGET_SOAP_RATIO,
    WEBHOOK_SECRET,
)
from bench.payments.receipts import (
    STATION_CLIENT_SUBJECT,
    balance_latency,
    db_counts,
    post_receipt,
    receipts_load,
)
from bench.server import (
    BASE_DIR,
    VENV_PYTHON,
    cache_flush,
    free_port,
    gunicorn_log_tail,
    gunicorn_start,
    gunicorn_stop,
    healthz_wait,
    manage,
    percentile,
)


def bench_env(static_root: str, media_root: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_DEBUG": "false",  # DEBUG would keep every SQL statement in memory
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            # Settings require the TOTP secrets' key when not DEBUG (a Fernet key: 32 random bytes, base64).
            "MFA_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url(DB_NAME),
            "REDIS_URL": REDIS_URL,
            # Tasks (publication, e-mails) are queued in memory and never run: workers' work, not measured here.
            "CELERY_BROKER_URL": "memory://",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "PAYMENTS_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "PAYMENTS_MOCK_ENABLED": "false",
            # The station believes the client certificate subject a declared proxy passes (here: the bench itself).
            "DJANGO_TRUSTED_PROXY_COUNT": "1",
            "PAGOPA_STATION_CLIENT_SUBJECTS": STATION_CLIENT_SUBJECT,
            "STATIC_ROOT": static_root,
            "MEDIA_ROOT": media_root,
            "DJANGO_LOG_LEVEL": "WARNING",
        }
    )
    env.pop("DJANGO_READ_DOT_ENV_FILE", None)
    return env


def run_worker(env: dict[str, str], name: str, *extra: str) -> dict:
    result = subprocess.run(
        [VENV_PYTHON, "-m", "bench.payments", "--worker", name, *extra],
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


# --- the four steps, each printing its figures and returning the targets it missed -----------------------------


def step_issue(env: dict[str, str], args: argparse.Namespace) -> list[str]:
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
    return [f"issue ratio {ratio:.2f} > {TARGET_ISSUE_RATIO}"] if ratio > TARGET_ISSUE_RATIO else []


def step_receipts(env: dict[str, str], args: argparse.Namespace, data_path: str, port: int) -> list[str]:
    """Receipts through the intake on gunicorn (already started on `port`)."""
    prepared = run_worker(env, "receipts", "--receipts", str(args.receipts), "--data", data_path)
    with open(data_path, encoding="utf-8") as fh:
        items = json.load(fh)
    json_items = [item for item in items if not item["soap"]]
    soap_items = [item for item in items if item["soap"]]
    for _worker in range(2):  # warm both workers' imports, for both endpoints
        post_receipt(port, prepared["path"], {"body": "{}", "signature": "sha256=0"})
        post_receipt(port, prepared["station"], {"soap": "<x/>"})
    statuses, latencies, seconds = receipts_load(port, prepared["path"], json_items[: args.receipts], args.clients)
    soap_statuses, soap_latencies, soap_seconds = receipts_load(port, prepared["station"], soap_items, args.clients)
    visible = balance_latency(port, prepared["path"], json_items[args.receipts :])
    counts = db_counts()
    ok = statuses.count(200)
    soap_ok = soap_statuses.count(200)
    json_rate, soap_rate = len(statuses) / seconds, len(soap_statuses) / soap_seconds
    print()
    print(f"2. Receipts POSTed to {prepared['path']} on gunicorn (2 sync workers) by {args.clients} client threads")
    print(
        f"   {len(statuses)} receipts in {seconds:.2f} s = {len(statuses) / seconds:.1f} receipts/s; "
        f"latency p50 {percentile(latencies, 50) * 1000:.1f} ms, p95 {percentile(latencies, 95) * 1000:.1f} ms; "
        f"{ok} answered 200"
    )
    print(
        f"   {len(soap_statuses)} paSendRTV2 (SOAP) to {prepared['station']}: {soap_seconds:.2f} s = "
        f"{soap_rate:.1f} receipts/s; latency p50 {percentile(soap_latencies, 50) * 1000:.1f} ms, "
        f"p95 {percentile(soap_latencies, 95) * 1000:.1f} ms; {soap_ok} answered OK"
    )
    print(f"   SOAP rate / JSON rate: {soap_rate / json_rate:.2f} (target >= {TARGET_SOAP_RATIO})")
    print(
        f"   receipt → balance visible to another connection ({len(visible)} one at a time): "
        f"p50 {percentile(visible, 50) * 1000:.1f} ms, p95 {percentile(visible, 95) * 1000:.1f} ms, "
        f"max {max(visible) * 1000:.1f} ms (target <= {TARGET_BALANCE_SECONDS:g} s)"
    )
    total = args.receipts + len(visible) + len(soap_items)
    print(
        f"   database: {counts['receipts']} receipts, {counts['credits']} ledger credits, {counts['outbox']} "
        f"confirmation e-mails queued, {counts['mismatched_balances']} balances different from their entries "
        f"(expected {total}, {total}, {total}, 0)"
    )
    failures = []
    if ok != len(statuses):
        failures.append(f"{len(statuses) - ok} receipts not answered 200")
    if soap_ok != len(soap_statuses):
        failures.append(f"{len(soap_statuses) - soap_ok} paSendRTV2 not answered OK")
    if soap_rate / json_rate < TARGET_SOAP_RATIO:
        failures.append(f"SOAP/JSON rate {soap_rate / json_rate:.2f} < {TARGET_SOAP_RATIO}")
    if max(visible) > TARGET_BALANCE_SECONDS:
        failures.append(f"receipt → balance {max(visible):.2f} s > {TARGET_BALANCE_SECONDS} s")
    found = (counts["receipts"], counts["credits"], counts["outbox"], counts["mismatched_balances"])
    if found != (total, total, total, 0):
        failures.append(f"database counts {counts}")
    return failures


def step_pdf(env: dict[str, str]) -> list[str]:
    pdf = run_worker(env, "pdf")
    print()
    print("3. Notice PDF (payments.pdf.notice_pdf_get_or_render)")
    if "skipped" in pdf:
        print(f"   skipped: {pdf['skipped']}")
        return []
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
    failures = []
    if pdf_ratio > TARGET_PDF_RATIO:
        failures.append(f"PDF ratio {pdf_ratio:.2f} > {TARGET_PDF_RATIO}")
    if speedup < TARGET_PDF_REPEAT_SPEEDUP:
        failures.append(f"PDF repeat speed-up {speedup:.1f} < {TARGET_PDF_REPEAT_SPEEDUP}")
    return failures


def step_queries(env: dict[str, str]) -> list[str]:
    page = run_worker(env, "queries")
    print()
    print(f"4. GET {page['url']} with 50 notices (2 children), warm, in process")
    print(f"   {len(page['queries'])} SQL queries (target <= {TARGET_PAGE_QUERIES}); page {page['bytes'] // 1024} KB")
    for number, sql in enumerate(page["queries"], 1):
        print(f"   {number}. {sql[:150]}")
    if len(page["queries"]) > TARGET_PAGE_QUERIES:
        return [f"notices page: {len(page['queries'])} queries > {TARGET_PAGE_QUERIES}"]
    return []


# --- main ------------------------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.payments", description=(bench.payments.__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--receipts", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=4, help="threads posting receipts")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> int:
    args = arguments()
    if args.worker:
        from bench.payments.workers import worker

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
        cache_flush(REDIS_URL)
        manage(env, "migrate", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        run_worker(env, "families")
        failures += step_issue(env, args)
        port = free_port()
        proc = gunicorn_start(env, port, log_path)
        healthz_wait(port, proc)
        failures += step_receipts(env, args, data_path, port)
        gunicorn_stop(proc)
        proc = None
        failures += step_pdf(env)
        failures += step_queries(env)
    except BaseException:
        gunicorn_log_tail(log_path)
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
