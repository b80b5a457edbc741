"""Tax certificates benchmark (issue 14): the year's certificates for 1,000 and then 10,000 children.

    .venv/bin/python -m bench.certificates [--small 1000] [--large 10000] [--pdf-sample 300]

Creates a throw-away PostgreSQL database (`portal_bench_certificates`, dropped at the end, also on failure) and, in
this process (DEBUG off; the work is the worker's: `certificates_issue_year` as the Celery task runs it): families
with one child each and three paid receipts (canteen top-up, transport fee, nursery fee), bulk inserted, for --small
children in 2024 and --large children in 2025. It issues each year's certificates (computed, stored, holders
e-mailed): per-item cost of each run (target: at --large no more than 1.2x the cost at --small) and the worker's peak
memory; then renders and stores --pdf-sample PDFs of each year as the download or the e-mail's link would (ms per
PDF, and what all of them would take one worker), and one certificate's PDF next to a minimal WeasyPrint page in the
same process. Exit status 1 when the ratio target is missed. Stops by itself; talks only to 127.0.0.1.
"""

import argparse
import datetime
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal

from bench.database import database_drop, database_recreate, in_process_env
from bench.families import families_bulk_create

DB_NAME = os.environ.get("BENCH_DB_NAME", "portal_bench_certificates")
TARGET_RATIO = 1.2


def families(count: int, year: int, offset: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from payments.models import PaymentNotice, PaymentOption, Receipt, ReceiptMessage

    zone = timezone.get_default_timezone()
    with transaction.atomic():
        users, children = families_bulk_create(
            count=count,
            adult_cf=lambda n: f"BNCCRT{offset + n:010d}",
            child_cf=lambda n: f"BNCFGC{offset + n:010d}",
            email=lambda n: f"c{offset + n}@bench.example.it",
        )
        message = ReceiptMessage.objects.create(body="bench", outcome="accepted")
        kinds = [("canteen", "topup", "80.00"), ("transport", "fee", "150.00"), ("nursery", "fee", "300.00")]
        notices = PaymentNotice.objects.bulk_create(
            [
                PaymentNotice(
                    iupd=f"CRT{year}{offset + n:09d}{k}",
                    status="paid",
                    purpose=purpose,
                    service_kind=kind,
                    child=child,
                    payer=user,
                    payer_fiscal_code=user.codice_fiscale,
                    payer_name=f"Genitore N{offset + n}",
                    causale=f"Servizi scolastici {year} - Bambino N{offset + n}",
                    amount=Decimal(amount),
                    due_date=datetime.date(year, 6, 1),
                    platform_state="PAID",
                )
                for n, (user, child) in enumerate(zip(users, children, strict=True))
                for k, (kind, purpose, amount) in enumerate(kinds)
            ],
            batch_size=3000,
        )
        options = PaymentOption.objects.bulk_create(
            [
                PaymentOption(
                    notice=notice,
                    iuv=f"{year % 100:02d}{offset * 3 + i:015d}",
                    notice_number=f"3{year % 100:02d}{offset * 3 + i:015d}",
                    amount=notice.amount,
                    due_date=notice.due_date,
                )
                for i, notice in enumerate(notices)
            ],
            batch_size=3000,
        )
        Receipt.objects.bulk_create(
            [
                Receipt(
                    receipt_id=f"R{year}{offset * 3 + i:015d}",
                    message=message,
                    notice=option.notice,
                    option=option,
                    iuv=option.iuv,
                    notice_number=option.notice_number,
                    creditor_fiscal_code="00000000000",
                    amount=option.amount,
                    psp_id="BENCHPSP",
                    psp_name="Banca di prova",
                    payer_fiscal_code=option.notice.payer_fiscal_code,
                    payer_name=option.notice.payer_name,
                    paid_at=datetime.datetime(year, 3 + i % 9, 10, 10, 0, tzinfo=zone),
                )
                for i, option in enumerate(options)
            ],
            batch_size=3000,
        )


def issue(year: int, pdf_sample: int, profile: bool = False) -> dict:
    """Issue the year (computed and stored by the worker's function), then render `pdf_sample` of the PDFs as the
    download or the e-mail's link would (stored once): both timed, with the worker's peak memory."""
    from payments.certificate_pdf import certificate_pdf_get_or_render
    from payments.models import TaxCertificate
    from payments.services.certificates import certificates_issue_year

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    start = time.perf_counter()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(certificates_issue_year, year=year)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    else:
        result = certificates_issue_year(year=year)
    issue_seconds = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = TaxCertificate.objects.filter(year=year).select_related("child").order_by("?")[:pdf_sample]
    start = time.perf_counter()
    rendered = 0
    for certificate in rows:
        certificate_pdf_get_or_render(certificate=certificate)
        rendered += 1
    pdf_seconds = time.perf_counter() - start
    return {
        "issued": result.issued,
        "issue_seconds": issue_seconds,
        "peak_mb": peak / 1024 / 1024,
        "rss_mb": rss_after - rss_before,
        "pdfs": rendered,
        "pdf_seconds": pdf_seconds,
    }


def pdf_times(samples: int = 20) -> tuple[float, float]:
    from payments.certificate_pdf import certificate_pdf_render
    from payments.models import TaxCertificate
    from portal.pdf import html_to_pdf

    certificate = TaxCertificate.objects.select_related("child").first()
    minimal, full = [], []
    for _ in range(samples):
        start = time.perf_counter()
        html_to_pdf("<p>Hello</p>")
        minimal.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        certificate_pdf_render(certificate=certificate)
        full.append((time.perf_counter() - start) * 1000)
    return statistics.median(minimal), statistics.median(full)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.certificates", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10000)
    parser.add_argument("--pdf-sample", type=int, default=300, help="PDFs rendered and stored per run")
    parser.add_argument("--profile", action="store_true", help="print the profile of the large run's issue")
    args = parser.parse_args()
    media = tempfile.mkdtemp(prefix="bench-certificates-")
    os.environ.update(in_process_env(DB_NAME, CELERY_TASK_ALWAYS_EAGER="false", MEDIA_ROOT=media))
    print(f"Preparing database {DB_NAME} ...", flush=True)
    database_recreate(DB_NAME)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        families(args.small, 2024, 0)
        families(args.large, 2025, args.small)
        small = issue(2024, args.pdf_sample)
        print(f"   {args.small:,} certificates issued in {small['issue_seconds']:.1f} s", flush=True)
        large = issue(2025, args.pdf_sample, profile=args.profile)
        print(f"   {args.large:,} certificates issued in {large['issue_seconds']:.1f} s", flush=True)
        minimal_ms, full_ms = pdf_times()
    finally:
        database_drop(DB_NAME)
        shutil.rmtree(media, ignore_errors=True)
    per_small = small["issue_seconds"] / max(small["issued"], 1) * 1000
    per_large = large["issue_seconds"] / max(large["issued"], 1) * 1000
    ratio = per_large / per_small
    pdf_small = small["pdf_seconds"] / max(small["pdfs"], 1) * 1000
    pdf_large = large["pdf_seconds"] / max(large["pdfs"], 1) * 1000
    print()
    print("Tax certificates issued by the worker (certificates_issue_year: computed, stored, holders e-mailed)")
    print(f"   {small['issued']:,} certificates in {small['issue_seconds']:.1f} s = {per_small:.2f} ms each")
    print(f"   {large['issued']:,} certificates in {large['issue_seconds']:.1f} s = {per_large:.2f} ms each")
    print(f"   per-item cost {args.large:,}/{args.small:,}: {ratio:.2f} (target <= {TARGET_RATIO})")
    print(
        f"   worker's peak Python memory {large['peak_mb']:.1f} MB (tracemalloc), "
        f"resident set growth {large['rss_mb']:.1f} MB"
    )
    print(
        f"   PDFs rendered and stored: {pdf_small:.0f} ms each among {small['issued']:,}, "
        f"{pdf_large:.0f} ms each among {large['issued']:,} (samples of {args.pdf_sample}); "
        f"all {large['issued']:,} would take "
        f"{pdf_large * large['issued'] / 60000:.0f} min of one worker"
    )
    print(f"   one certificate PDF {full_ms:.1f} ms vs a minimal WeasyPrint page {minimal_ms:.1f} ms (medians of 20)")
    failed = ratio > TARGET_RATIO
    print("OK" if not failed else "FAILED: the ratio target was missed.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
