"""Run the fault benchmark: `.venv/bin/python -m bench.faults --help` (see the package's docstring)."""

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import bench.faults
from bench.faults import BURST, GRACE_SECONDS
from bench.faults.checks import MESSAGE_ID, State, Window, requests_judge, requests_read, state_settle
from bench.http.client import Browser, login
from bench.load import FAMILIES
from bench.load.__main__ import locust_process
from bench.load.__main__ import run_worker as load_worker
from bench.server import BASE_DIR, VENV_PYTHON, gunicorn_log_tail
from bench.stack import Stack

COUNT_LABELS = [
    ("outbox", "e-mails"),
    ("outbox_sent", "sent"),
    ("outbox_pending", "pending"),
    ("outbox_failed", "failed"),
    ("mail_messages", "in the sink"),
    ("mail_twice", "twice"),
    ("mail_missing", "missing"),
    ("notices", "notices"),
    ("notices_unpublished", "unpublished"),
    ("fake_receipts", "paid at the fake"),
    ("deliveries_pending", "receipts on the way"),
    ("receipts", "receipts"),
    ("credits", "credits"),
    ("balances_off", "balances off"),
]


def print_state(title: str, current: State, waited: float) -> None:
    counts = current.counts
    print(f"  {title} (after {waited:.0f} s of draining):")
    print("    " + ", ".join(f"{label} {counts[key]}" for key, label in COUNT_LABELS[:7]))
    print("    " + ", ".join(f"{label} {counts[key]}" for key, label in COUNT_LABELS[7:]))
    if counts["mail_twice"]:
        print(
            f"    note: {counts['mail_twice']} e-mails reached the sink twice with the same Message-ID (a worker "
            "killed between the relay's OK and the row's update: the relay or mailbox drops the copy)"
        )
    for problem in current.problems:
        print(f"    PROBLEM: {problem}")
    sys.stdout.flush()


def burst(count: int, data_path: str) -> dict:
    """In process on the bench database: `count` top-up notices (published by the worker in chunks) and `count`
    e-mails, all queued when one transaction commits: the notices' first chunk, the e-mails, the rest."""
    import datetime
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Child, User
    from payments.services import notices_issue_bulk
    from portal import mail

    with open(data_path, encoding="utf-8") as fh:
        families = json.load(fh)["families"][-count:]
    children = Child.objects.in_bulk([f["child"] for f in families])
    payers = {u.codice_fiscale: u for u in User.objects.filter(codice_fiscale__in=[f["cf"] for f in families])}
    due = timezone.localdate() + datetime.timedelta(days=30)
    specs = [
        {
            "child": children[f["child"]],
            "service_kind": "canteen",
            "purpose": "topup",
            "amount": Decimal("30.00"),
            "causale": f"Ricarica mensa - prova di carico {n}",
            "due_date": due,
            "payer": payers[f["cf"]],
        }
        for n, f in enumerate(families)
    ]
    first = (count * 2) // 3
    with transaction.atomic():
        issued = notices_issue_bulk(specs=specs[:first])
        for n, family in enumerate(families):
            mail.email_enqueue(
                kind="bench_burst",
                to=[payers[family["cf"]].email],
                subject=f"Avviso di prova {n}",
                body_text="Messaggio di prova del banco dei guasti.",
            )
        issued += notices_issue_bulk(specs=specs[first:])
    return {"notices": issued, "emails": count}


def burst_progress(dsn: str, sink) -> tuple[int, int]:
    """Notices of the burst published, e-mails of the burst in the sink."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM payments_paymentnotice WHERE causale LIKE 'Ricarica mensa - prova di carico%' "
            "AND platform_state <> ''"
        ).fetchone()
        published = int(row[0]) if row else 0
        ids = {row[0] for row in conn.execute("SELECT id FROM portal_outboxemail WHERE kind = 'bench_burst'")}
    matches = (MESSAGE_ID.search(message_id) for message_id in sink)
    return published, sum(1 for match in matches if match and int(match.group(1)) in ids)


def busy_web_worker(stack: Stack, timeout: float = 10) -> int | None:
    """A gunicorn worker running (state R: in the middle of a request), else any worker after `timeout`."""
    deadline = time.monotonic() + timeout
    pids: list[int] = []
    while time.monotonic() < deadline:
        pids = stack.web_worker_pids()
        for pid in pids:
            with contextlib.suppress(OSError), open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                if fh.read().split(")")[-1].split()[0] == "R":
                    return pid
        time.sleep(0.01)
    return pids[0] if pids else None


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.faults", description=(bench.faults.__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--rate", type=int, default=30, help="background parent sessions per minute")
    parser.add_argument("--redis-seconds", type=float, default=30.0)
    parser.add_argument("--observe", type=float, default=12.0, help="seconds of load after each recovery")
    parser.add_argument("--drain", type=float, default=45.0, help="seconds to wait for pending work after a fault")
    parser.add_argument("--settle", type=float, default=150.0, help="seconds to wait for everything at the end")
    parser.add_argument("--families", type=int, default=FAMILIES)
    parser.add_argument("--keep", action="store_true", help="keep the stack's folder (logs) at the end")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> int:
    args = arguments()
    if args.worker == "burst":
        import django

        django.setup()
        print(json.dumps(burst(BURST, args.data)))
        return 0

    started = time.monotonic()
    # Pending e-mails are retried by the beat (every minute) once 10 s old instead of 2 minutes: the bench is short.
    stack = Stack(web_workers=3, extra_env={"OUTBOX_RETRY_AFTER_SECONDS": "10"})
    data = os.path.join(stack.root, "families.json")
    log_path = os.path.join(stack.root, "requests.jsonl")
    windows: list[Window] = []
    locust = None
    final: State | None = None
    judged: dict = {}
    try:
        print(
            f"Starting PostgreSQL, Redis, an SMTP sink, gunicorn (portal, fake), Celery worker, beat in {stack.root}"
        )
        stack.start(prepare=lambda env: load_worker(env, "families", "--count", str(args.families), "--data", data))
        login(Browser(stack.web_port))
        assert stack.smtp is not None
        sink = stack.smtp.snapshot
        dsn = stack.dsn()
        argv, env, _result = locust_process(stack, "sollecito", [args.rate], 3600, data, 0, LOAD_NO_STOP="1")
        env["LOAD_LOG"] = log_path
        env["LOAD_WARMUP_SECONDS"] = "0"
        env["LOAD_STEP_SECONDS"] = "10"  # the pace of each parent; one step that never ends (LOAD_NO_STOP)
        env["LOAD_STEPS"] = ",".join([str(args.rate)] * 1000)
        with open(stack.log("locust-faults"), "ab") as locust_log:
            locust = subprocess.Popen(argv, cwd=BASE_DIR, env=env, stdout=locust_log, stderr=subprocess.STDOUT)
        print(
            f"Ready in {time.monotonic() - started:.0f} s; background load: 'sollecito' at {args.rate} sessions/min "
            f"(sign in, payments page, top-up paid at the fake).",
            flush=True,
        )
        time.sleep(args.observe)

        print("\na. PostgreSQL restarted (pg_ctl stop -m fast, start)", flush=True)
        window = Window("PostgreSQL restart", time.time())
        windows.append(window)
        stack.postgres.stop("fast")
        stack.postgres.start()
        window.end = time.time() + GRACE_SECONDS
        print(f"   back after {window.end - window.start - GRACE_SECONDS:.1f} s", flush=True)
        time.sleep(args.observe)
        print_state("after a", *state_settle(dsn, sink, args.drain))

        print(f"\nb. Redis stopped for {args.redis_seconds:g} s", flush=True)
        window = Window("Redis stopped", time.time())
        windows.append(window)
        stack.redis.stop()
        time.sleep(args.redis_seconds)
        stack.redis.start()
        window.end = time.time() + GRACE_SECONDS
        time.sleep(args.observe)
        print_state("after b", *state_settle(dsn, sink, args.drain))

        print(
            f"\nc. {BURST} notices to publish and {BURST} e-mails queued; the Celery worker killed mid-way", flush=True
        )
        out = subprocess.run(
            [VENV_PYTHON, "-m", "bench.faults", "--worker", "burst", "--data", data],
            cwd=BASE_DIR,
            env=stack.env,
            capture_output=True,
            text=True,
            check=True,
        )
        print(f"   queued: {out.stdout.strip().splitlines()[-1]}", flush=True)
        deadline = time.monotonic() + 30
        published, sent = burst_progress(dsn, sink())
        while (published < 20 or sent < 20) and time.monotonic() < deadline:
            time.sleep(0.05)
            published, sent = burst_progress(dsn, sink())
        stack.worker_kill()
        published, sent = burst_progress(dsn, sink())
        print(f"   worker killed (SIGKILL, pool included) with {published} notices published, {sent} e-mails sent")
        time.sleep(3)
        stack.worker_start()
        time.sleep(args.observe)
        print_state("after c", *state_settle(dsn, sink, args.drain))

        print("\nd. A gunicorn worker killed in the middle of a request", flush=True)
        pid = busy_web_worker(stack)
        window = Window("gunicorn worker killed", time.time())
        windows.append(window)
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
        window.end = time.time() + GRACE_SECONDS
        print(f"   killed worker {pid}; the arbiter starts another", flush=True)
        time.sleep(args.observe)
        print_state("after d", *state_settle(dsn, sink, args.drain))

        locust.send_signal(signal.SIGTERM)
        locust.wait(timeout=30)
        locust = None
        print(f"\nLoad stopped; waiting for everything pending (at most {args.settle:g} s) ...", flush=True)
        final, waited = state_settle(dsn, sink, args.settle)
        print_state("final", final, waited)
        judged = requests_judge(requests_read(log_path), windows)
    except BaseException:
        gunicorn_log_tail(stack.log("web"))
        raise
    finally:
        if locust is not None and locust.poll() is None:
            locust.kill()
        stack.stop()
        if args.keep:
            print(f"Logs kept in {stack.root}")
        else:
            stack.cleanup()

    failures = list(final.problems) if final else ["no final state"]
    if final and not final.settled:
        c = final.counts
        failures.append(
            f"not drained: {c['outbox_pending']} e-mails pending, {c['notices_unpublished']} notices unpublished, "
            f"{c['deliveries_pending']} receipts undelivered, {c['receipts_missing']} receipts missing"
        )
    print(f"\nRequests: {judged.get('requests', 0)} by the background load.")
    print("Failed inside the outage windows (fault's time + 5 s):")
    for label, count in sorted(judged.get("inside", {}).items()):
        print(f"  {count:5d}  {label}")
    outside = judged.get("outside", {})
    print(f"Failed outside them (target 0): {sum(outside.values())}")
    for label, count in sorted(outside.items()):
        print(f"  {count:5d}  {label}")
    if outside:
        failures.append(f"{sum(outside.values())} failed requests outside the outage windows")
    print(f"\nBench time {time.monotonic() - started:.0f} s.")
    print("FAIL: " + "; ".join(failures) if failures else "PASS: nothing lost, nothing twice, no error after recovery")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
