"""IO messages benchmark (issue 16): 10,000 messages queued at once go out at the rate the settings allow, e-mail is
not held up by them, and the outbox's cost per message is flat.

    .venv/bin/python -m bench.io [--small 1000] [--large 10000] [--rate 100] [--workers 4] [--emails 2000]

Creates a throw-away PostgreSQL database (`portal_bench_io`, dropped at the end, also on failure) and runs, in this
process, the portal's own code against the fake IO reached in memory (as in development), with the citizens on IO:
1. the outbox: `io_enqueue_many` of --small then --large messages (rendered, written in one transaction): ms per
   message at each size and their ratio (target: flat, <= 1.2);
2. delivery: the --large messages handed to IO by --workers threads as the Celery workers would (`io_deliver`:
   profile check + message, two requests each) with IO_REQUESTS_PER_SECOND = --rate: requests per second reached
   (target: at most the rate, and near it), every message delivered exactly once (the fake's count);
3. e-mail meanwhile: --emails e-mails of the outbox delivered by one more thread during the IO run (written as
   files to a temporary folder, as in development): their rate, and whether they were all out before IO finished.
Stops by itself; talks only to 127.0.0.1.
"""

import argparse
import os
import sys
import tempfile
import threading
import time

from bench.database import database_drop, database_recreate, in_process_env

DB_NAME = os.environ.get("BENCH_DB_NAME", "portal_bench_io")
TARGET_RATIO = 1.2
CF_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def fiscal_code(n: int) -> str:
    """A distinct fiscal code of IO's pattern for citizen n."""
    letters = "".join(CF_LETTERS[(n // 26**i) % 26] for i in range(6))
    return f"{letters}80A01H501Z"


def citizens(count: int, offset: int) -> list[str]:
    from mockio.models import Profile

    codes = [fiscal_code(offset + n) for n in range(count)]
    Profile.objects.bulk_create([Profile(fiscal_code=code) for code in codes], batch_size=2000)
    return codes


def contents(codes: list[str]) -> list:
    from portal.io import IoContent, payment_data

    return [
        (
            IoContent(
                kind="notice",
                service="transport",
                fiscal_code=code,
                template="notice_issued",
                context={
                    "payer_name": "Genitore di prova",
                    "comune": "Comune di Borgo Demo",
                    "causale": f"Trasporto scolastico - rata {n}",
                    "amount": "150.00",
                    "due_date": None,
                    "notice_url": "https://servizi.comune.example.it/pagamenti/",
                },
                payment_data=payment_data(amount_cents=15000, notice_number="301000000000012373"),
            ),
            None,
        )
        for n, code in enumerate(codes)
    ]


def enqueue(items: list) -> tuple[float, list[int]]:
    from django.db import transaction

    from portal.io import io_enqueue_many

    start = time.perf_counter()
    with transaction.atomic():
        rows = io_enqueue_many(items)
    return time.perf_counter() - start, [row.pk for row in rows]


def deliver(ids: list[int], workers: int) -> float:
    from django.core import signals
    from django.db import close_old_connections, connection

    from portal.io import io_deliver

    # The fake answers in this process: the end of its requests must not close the workers' connections (the
    # in-process transport disconnects that handler per call, which is not safe across threads).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)

    chunks = [ids[i::workers] for i in range(workers)]

    def run(chunk: list[int]) -> None:
        for pk in chunk:
            io_deliver(message_id=pk)
        connection.close()

    threads = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def emails_meanwhile(count: int, finished: dict) -> threading.Thread:
    from django.db import connection

    from portal import mail

    rows = mail.email_enqueue_many(
        [mail.TemplateEmail("canteen_closure", [f"g{n}@bench.example.it"], {"comune": "Borgo"}) for n in range(count)]
    )
    ids = [row.pk for row in rows]

    def run() -> None:
        start = time.perf_counter()
        for pk in ids:
            mail.email_deliver(email_id=pk)
        finished["seconds"] = time.perf_counter() - start
        finished["at"] = time.perf_counter()
        connection.close()

    return threading.Thread(target=run)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.io", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10000)
    parser.add_argument("--rate", type=int, default=100, help="IO_REQUESTS_PER_SECOND for the run")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--emails", type=int, default=2000)
    args = parser.parse_args()
    os.environ.update(
        in_process_env(
            DB_NAME,
            CELERY_TASK_ALWAYS_EAGER="false",
            IO_MOCK_ENABLED="true",
            PORTAL_DEMO="true",
            IO_HTTP_TRANSPORT="wsgi",
            IO_BASE_URL="http://testserver/mockio/api/v1",
            IO_REQUESTS_PER_SECOND=str(args.rate),
            DJANGO_ALLOWED_HOSTS="testserver",
            DJANGO_SECURE_SSL_REDIRECT="false",
            EMAIL_FILE_PATH=tempfile.mkdtemp(prefix="bench-io-mail-"),
        )
    )
    print(f"Preparing database {DB_NAME} ...", flush=True)
    database_recreate(DB_NAME)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from mockio.models import Message
        from portal.models import IoMessage

        call_command("migrate", verbosity=0)
        small_codes = citizens(args.small, 0)
        large_codes = citizens(args.large, args.small)
        small_seconds, _small_ids = enqueue(contents(small_codes))
        large_seconds, large_ids = enqueue(contents(large_codes))
        print(f"   {args.large:,} messages queued in {large_seconds:.1f} s; delivering ...", flush=True)
        finished: dict = {}
        mailer = emails_meanwhile(args.emails, finished)
        mailer.start()
        deliver_seconds = deliver(large_ids, args.workers)
        io_end = time.perf_counter()
        mailer.join()
        sent = IoMessage.objects.filter(pk__in=large_ids, status="sent").count()
        received = Message.objects.filter(fiscal_code__in=large_codes).count()
    finally:
        database_drop(DB_NAME)
    per_small = small_seconds / args.small * 1000
    per_large = large_seconds / args.large * 1000
    ratio = per_large / per_small
    requests_per_second = 2 * sent / deliver_seconds
    print()
    print("IO outbox (io_enqueue_many: rendered and written in one transaction)")
    print(f"  {args.small:>6,} messages: {per_small:.3f} ms each;  {args.large:>6,}: {per_large:.3f} ms each")
    print(f"  per-message ratio {args.large:,} / {args.small:,}: {ratio:.2f} (target <= {TARGET_RATIO})")
    print(f"IO delivery ({args.workers} workers, IO_REQUESTS_PER_SECOND={args.rate}, 2 requests per message)")
    print(f"  {sent:,} delivered in {deliver_seconds:.1f} s = {requests_per_second:.1f} requests/s")
    print(f"  messages received by the fake IO: {received:,} (exactly once each: {received == sent == args.large})")
    ahead = io_end - finished.get("at", io_end)
    print(f"E-mail meanwhile: {args.emails:,} delivered in {finished.get('seconds', 0):.1f} s,")
    print(f"  {ahead:.1f} s before the IO delivery ended (e-mail does not wait for IO)")
    ok = ratio <= TARGET_RATIO and requests_per_second <= args.rate * 1.05 and received == sent == args.large
    return 0 if ok and ahead > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
