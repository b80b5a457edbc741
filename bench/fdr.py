"""Reconciliation benchmark: one FdR flow of 100,000 payments read and matched in constant memory.

    .venv/bin/python -m bench.fdr [--payments 100000] [--receipts 2000]

Creates a throw-away PostgreSQL database (`portal_bench_fdr`, dropped at the end, also on failure) and migrates it,
then in this process (DEBUG off): creates --receipts paid receipts (bulk), starts a small HTTP server on 127.0.0.1
that plays the FdR service for organizations — the flow list, the header and the payments, 1,000 per page, each page
generated as it is sent — with --payments lines, the first --receipts of them the receipts above (matched), the rest
paid elsewhere (missing here). It times `payments.services.fdr.fdr_flow_read` (the header, every page streamed and
parsed with ijson, batches matched and written, duplicates marked, notices reported) and measures the peak of Python
memory allocated during it (tracemalloc) and the growth of the process's resident set (target < 50 MB). Exit status
1 when a target is missed. Stops by itself (about a minute); talks only to 127.0.0.1.
"""

import argparse
import json
import os
import resource
import sys
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from bench.database import database_drop, database_recreate, in_process_env

DB_NAME = os.environ.get("BENCH_DB_NAME", "portal_bench_fdr")
ORGANIZATION = "00000000000"
PSP = "BENCHPSP1"
FDR = "2026-12-01BENCHPSP1-0000001"
PAGE = 1000
TARGET_MEMORY_MB = 50.0


class FlowServer(BaseHTTPRequestHandler):
    """The FdR service for one flow of `payments` lines (class attributes set before serving)."""

    payments = 0
    iuvs: list[tuple[str, str]] = []  # (iuv, iur) of the receipts that exist, the first lines of the flow

    def log_message(self, *args) -> None:  # quiet
        return

    def _json(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _line(self, index: int) -> dict:
        if index <= len(self.iuvs):
            iuv, iur = self.iuvs[index - 1]
            pay = 10.0
        else:
            iuv, iur, pay = f"9{index:016d}", f"IUR{index:012d}", 7.5
        return {
            "index": index,
            "iuv": iuv,
            "iur": iur,
            "idTransfer": 1,
            "pay": pay,
            "payStatus": "EXECUTED",
            "payDate": "2026-12-01T10:00:00Z",
        }

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        page = int(query.get("page", "1"))
        pages = (self.payments + PAGE - 1) // PAGE
        if url.path.endswith("/payments"):
            first = (page - 1) * PAGE + 1
            rows = [self._line(i) for i in range(first, min(first + PAGE, self.payments + 1))]
            meta = {"pageSize": PAGE, "pageNumber": page, "totPage": pages}
            self._json(json.dumps({"metadata": meta, "count": len(rows), "data": rows}).encode())
        elif url.path.endswith("/fdrs"):
            flow = {"fdr": FDR, "pspId": PSP, "revision": 1, "published": "2026-12-02T08:00:00Z"}
            self._json(json.dumps({"metadata": {"totPage": 1}, "count": 1, "data": [flow]}).encode())
        else:
            header = {
                "status": "PUBLISHED",
                "revision": 1,
                "fdr": FDR,
                "fdrDate": "2026-12-02T08:00:00Z",
                "regulation": "SCT-BENCH",
                "regulationDate": "2026-12-02",
                "sender": {"pspId": PSP, "pspName": "Banca di prova"},
                "receiver": {"organizationId": ORGANIZATION, "organizationName": "Comune"},
                "published": "2026-12-02T08:00:00Z",
                "totPayments": self.payments,
                "sumPayments": 0,
            }
            self._json(json.dumps(header).encode())


def receipts_create(count: int) -> list[tuple[str, str]]:
    """`count` paid single-option notices with their receipts (bulk inserts; the ledger is not involved)."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from accounts.models import Child, User
    from payments.models import PaymentNotice, PaymentOption, Receipt, ReceiptMessage

    user = User.objects.create(codice_fiscale="RSSMRA85C52H501N", email="bench@example.it", first_name="B")
    child = Child.objects.create(
        codice_fiscale="RSSGLI18C52H501V",
        first_name="Giulia",
        last_name="Rossi",
        birth_date=datetime.date(2018, 3, 12),
        sex="F",
    )
    message = ReceiptMessage.objects.create(body="bench", outcome="accepted")
    now = timezone.now()
    notices = PaymentNotice.objects.bulk_create(
        [
            PaymentNotice(
                iupd=f"BENCH{n:012d}",
                status="paid",
                purpose="fee",
                service_kind="canteen",
                child=child,
                payer=user,
                payer_fiscal_code=user.codice_fiscale,
                payer_name="Bench",
                causale="Quota",
                amount=Decimal("10.00"),
                due_date=now.date(),
                platform_state="PAID",
                paid_at=now,
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
    options = PaymentOption.objects.bulk_create(
        [
            PaymentOption(
                notice=notice,
                iuv=f"01{n:015d}",
                notice_number=f"301{n:015d}",
                amount=Decimal("10.00"),
                due_date=now.date(),
                paid_at=now,
            )
            for n, notice in enumerate(notices)
        ],
        batch_size=1000,
    )
    Receipt.objects.bulk_create(
        [
            Receipt(
                receipt_id=f"R{n:015d}",
                message=message,
                notice=option.notice,
                option=option,
                iuv=option.iuv,
                notice_number=option.notice_number,
                creditor_fiscal_code=ORGANIZATION,
                amount=Decimal("10.00"),
                psp_id=PSP,
                psp_name="Banca di prova",
                paid_at=now,
            )
            for n, option in enumerate(options)
        ],
        batch_size=1000,
    )
    return [(option.iuv, f"R{n:015d}") for n, option in enumerate(options)]


def measure(payments: int, receipts: int) -> dict:
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from payments.models import FdrLine
    from payments.services.fdr import fdr_flow_read

    call_command("migrate", verbosity=0)
    FlowServer.iuvs = receipts_create(receipts)
    FlowServer.payments = payments
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlowServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ["PAGOPA_FDR_BASE_URL"] = f"http://127.0.0.1:{server.server_address[1]}"
    from django.conf import settings

    settings.PAGOPA_FDR_BASE_URL = os.environ["PAGOPA_FDR_BASE_URL"]
    try:
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        tracemalloc.start()
        start = time.perf_counter()
        _flow, lines = fdr_flow_read(organization=ORGANIZATION, listing={"fdr": FDR, "pspId": PSP, "revision": 1})
        seconds = time.perf_counter() - start
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        server.shutdown()
    outcomes = dict(FdrLine.objects.values_list("outcome").annotate(n=Count("pk")))
    connection.close()
    return {
        "lines": lines,
        "seconds": seconds,
        "peak_mb": peak / 1024 / 1024,
        "rss_growth_mb": rss_after - rss_before,
        "outcomes": outcomes,
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fdr", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--receipts", type=int, default=2_000)
    args = parser.parse_args()
    os.environ.update(in_process_env(DB_NAME))
    print(f"Preparing database {DB_NAME} ...", flush=True)
    database_recreate(DB_NAME)
    try:
        import django

        django.setup()
        result = measure(args.payments, args.receipts)
    finally:
        database_drop(DB_NAME)
    print()
    print(f"Reconciliation of one flow of {result['lines']:,} payments ({args.receipts:,} matched to receipts here)")
    print(f"   {result['seconds']:.1f} s = {result['lines'] / result['seconds']:,.0f} lines/s")
    print(f"   outcomes: {result['outcomes']}")
    print(
        f"   peak Python memory during the read {result['peak_mb']:.1f} MB (tracemalloc), resident set growth "
        f"{result['rss_growth_mb']:.1f} MB (target < {TARGET_MEMORY_MB:g} MB)"
    )
    failed = max(result["peak_mb"], result["rss_growth_mb"]) >= TARGET_MEMORY_MB or result["lines"] != args.payments
    print("OK" if not failed else "FAILED: a target was missed.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
