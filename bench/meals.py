"""Canteen benchmark (issue 13): a school year of meals for 5,000 children.

    .venv/bin/python -m bench.meals [--children 5000] [--days 0 (all)] [--page-samples 50]

Creates a throw-away PostgreSQL database (`portal_bench_meals`, dropped at the end, also on failure), migrates it and,
in this process (DEBUG off, Celery tasks queued in memory, the clock moved to the evening of the year's last day so
that every day of the year is in the past): 10 schools with their canteen calendars, 5,000 children with a parent
each, accepted canteen enrollments at tariffs from 2,30 to 5,20 €, a 200 € top-up each. Then it measures:

1. one day's attendance for every child as a `;` CSV file through the service the upload uses
   (`attendance_preview` then `attendance_apply`: every row checked, attendance recorded, meals debited): seconds and
   rows/s (target: under 5 s for 5,000 rows);
2. the rest of the year, one file per service day (about 180 days, 900,000 meals): total time, and the cost of a
   day at the start, in the middle and at the end (flat: the last tenth of the days within 1.5x of the first tenth);
3. the parent's meals page of one child with a full year of entries, through Django's test client: SQL queries of
   one page (the same for the first and the last month: constant) and p95 over --page-samples requests, against a
   bare view (`/bench/constant`) measured the same way in the same run;
4. the nightly reminder job over the 5,000 balances (seconds).

Exit status 1 when a target is missed. Stops by itself; talks only to 127.0.0.1.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

from bench.database import database_drop, database_recreate, in_process_env
from bench.families import families_bulk_create

DB_NAME = os.environ.get("BENCH_DB_NAME", "portal_bench_meals")
SCHOOLS = 10
TARGET_DAY_SECONDS = 5.0
TARGET_FLAT_RATIO = 1.5
ROME = ZoneInfo("Europe/Rome")
LETTERS = "BCDFGLMNPRSTVZ"


def child_cf(number: int) -> str:
    """A valid codice fiscale for child `number` (consonant triplets from the number, born 01/01/2018 in Rome)."""
    from codicefiscale import codicefiscale

    letters = ""
    for _ in range(6):
        number, digit = divmod(number, len(LETTERS))
        letters += LETTERS[digit]
    code = f"{letters}18A01H501"
    return code + codicefiscale.encode_cin(code)


def setup(children: int) -> dict:
    from django.db import transaction

    from canteen.models import CanteenCalendar, CanteenPolicy
    from enrollment.models import Enrollment, School, SchoolYear, Service, ServiceKind
    from payments.models import LedgerEntry
    from payments.services import ledger_record_many

    with transaction.atomic():
        year = SchoolYear.objects.create(
            name="2026/2027", starts_on=datetime.date(2026, 9, 14), ends_on=datetime.date(2027, 6, 10)
        )
        CanteenPolicy.objects.create(school_year=year)
        service = Service.objects.create(kind=ServiceKind.CANTEEN, name="Refezione scolastica")
        schools = [
            School.objects.create(name=f"Scuola {n + 1}", ministry_code=f"RMEE0{n:04d}X", kind="primaria")
            for n in range(SCHOOLS)
        ]
        service.schools.add(*schools)
        for school in schools:
            CanteenCalendar.objects.create(
                school_year=year, school=school, first_day=year.starts_on, last_day=year.ends_on
            )
        parents, kids = families_bulk_create(
            count=children,
            adult_cf=lambda n: f"BNCPRN{n:010d}",
            child_cf=child_cf,
            email=lambda n: f"genitore{n}@bench.example.it",
            sex="M",
        )
        Enrollment.objects.bulk_create(
            [
                Enrollment(
                    child=kid,
                    service=service,
                    school_year=year,
                    school=schools[n % SCHOOLS],
                    status=Enrollment.Status.ACCEPTED,
                    created_by=parents[n],
                    tariff_amount=Decimal("2.30") + Decimal("0.10") * (n % 30),
                )
                for n, kid in enumerate(kids)
            ],
            batch_size=2000,
        )
        ledger_record_many(
            entries=[
                LedgerEntry(
                    child=kid,
                    service_kind=ServiceKind.CANTEEN,
                    kind="topup",
                    amount=Decimal("200.00"),
                    reason="Ricarica",
                )
                for kid in kids
            ]
        )
    return {
        "year": year,
        "schools": schools,
        "kids": [(kid.pk, kid.codice_fiscale) for kid in kids],
        "parent": parents[0],
    }


def day_file(codes: list[str], day: datetime.date) -> bytes:
    lines = ["codice_fiscale;data;presenza;tipo_pasto"]
    for n, code in enumerate(codes):
        present = "assente" if (n + day.toordinal()) % 11 == 0 else "presente"
        lines.append(f"{code};{day:%d/%m/%Y};{present};{'in bianco' if n % 50 == 0 else 'normale'}")
    return ("\n".join(lines) + "\n").encode()


def import_day(codes: list[str], day: datetime.date, profile: bool = False) -> float:
    from canteen.services import attendance_apply, attendance_preview

    content = day_file(codes, day)
    start = time.perf_counter()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
    batch = attendance_preview(content=content, filename=f"{day}.csv", school=None, actor=None)
    if batch.errors:
        raise SystemExit(f"{day}: {len(batch.errors)} rows refused, first: {batch.errors[0]}")
    attendance_apply(batch=batch, actor=None)
    if profile:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return time.perf_counter() - start


def page_timings(client, url: str, samples: int) -> list[float]:
    timings = []
    for _ in range(samples):
        start = time.perf_counter()
        response = client.get(url, secure=True)
        timings.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return timings


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def queries_of(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, secure=True)
    return len(captured.captured_queries)


def measure(args: argparse.Namespace) -> dict:
    import time_machine
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    data = setup(args.children)
    year = data["year"]
    from canteen.selectors import ServiceDays

    days = sorted(ServiceDays().of(school_year_id=year.pk, school_id=data["schools"][0].pk))
    if args.days:
        days = days[: args.days]
    codes = [code for _pk, code in data["kids"]]
    result: dict = {"children": args.children, "days": len(days)}
    evening = datetime.datetime.combine(year.ends_on, datetime.time(20, 0), tzinfo=ROME)
    with time_machine.travel(evening, tick=True):
        result["first_day_seconds"] = import_day(codes, days[0], profile=args.profile)
        print(f"   day 1 imported in {result['first_day_seconds']:.2f} s", flush=True)
        per_day = [result["first_day_seconds"]]
        start = time.perf_counter()
        for index, day in enumerate(days[1:], start=2):
            per_day.append(import_day(codes, day))
            if index % 20 == 0:
                print(f"   day {index}/{len(days)}: {per_day[-1]:.2f} s", flush=True)
        result["year_seconds"] = time.perf_counter() - start + per_day[0]
        tenth = max(len(per_day) // 10, 1)
        result["per_day"] = per_day
        result["first_tenth"] = statistics.mean(per_day[:tenth])
        result["middle_tenth"] = statistics.mean(per_day[len(per_day) // 2 : len(per_day) // 2 + tenth])
        result["last_tenth"] = statistics.mean(per_day[-tenth:])
        from payments.models import LedgerEntry

        result["ledger_rows"] = LedgerEntry.objects.count()

        from django.test import Client

        client = Client()
        client.force_login(data["parent"])
        child_pk = data["kids"][0][0]
        url_first = f"/mensa/{child_pk}/?mese={days[0]:%Y-%m}"
        url_last = f"/mensa/{child_pk}/?mese={days[-1]:%Y-%m}"
        page_timings(client, url_last, 3)  # warm-up
        page_timings(client, "/bench/constant", 3)
        result["queries_first_month"] = queries_of(client, url_first)
        result["queries_last_month"] = queries_of(client, url_last)
        page = page_timings(client, url_last, args.page_samples)
        bare = page_timings(client, "/bench/constant", args.page_samples)
        result["page_p50"], result["page_p95"] = statistics.median(page), p95(page)
        result["bare_p50"], result["bare_p95"] = statistics.median(bare), p95(bare)
        result["entries_of_child"] = LedgerEntry.objects.filter(child_id=child_pk).count()

        from canteen.services import balance_reminders

        start = time.perf_counter()
        reminders = balance_reminders()
        result["reminders_seconds"] = time.perf_counter() - start
        result["reminders"] = reminders
    return result


def report(result: dict) -> bool:
    print()
    print(f"Canteen year for {result['children']:,} children, {result['days']} service days")
    rows = result["children"]
    day1 = result["first_day_seconds"]
    ok_day = day1 < TARGET_DAY_SECONDS
    print(
        f"1. one day's file ({rows:,} rows) previewed and applied: {day1:.2f} s = {rows / day1:,.0f} rows/s "
        "(target < 5 s)"
    )
    flat = result["last_tenth"] / result["first_tenth"]
    ok_flat = flat <= TARGET_FLAT_RATIO
    print(
        f"2. the year, one file a day: {result['year_seconds']:.0f} s for {rows * result['days']:,} rows; a day costs "
        f"{result['first_tenth']:.2f} s at the start, {result['middle_tenth']:.2f} s in the middle, "
        f"{result['last_tenth']:.2f} s at the end (end/start {flat:.2f}, target <= {TARGET_FLAT_RATIO}); "
        f"ledger rows at the end: {result['ledger_rows']:,}"
    )
    constant = result["queries_first_month"] == result["queries_last_month"]
    ratio = result["page_p95"] / result["bare_p95"]
    print(
        f"3. meals page of a child with {result['entries_of_child']} entries: "
        f"{result['queries_last_month']} SQL queries "
        f"(first month {result['queries_first_month']}: {'constant' if constant else 'NOT constant'}); "
        f"p50 {result['page_p50']:.1f} ms, p95 {result['page_p95']:.1f} ms vs the bare view p50 "
        f"{result['bare_p50']:.1f} ms, p95 {result['bare_p95']:.1f} ms (p95 ratio {ratio:.1f}x)"
    )
    print(f"4. nightly reminders over {rows:,} balances: {result['reminders_seconds']:.2f} s ({result['reminders']})")
    failed = not (ok_day and ok_flat and constant)
    print("OK" if not failed else "FAILED: a target was missed.")
    return not failed


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.meals", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--children", type=int, default=5000)
    parser.add_argument("--days", type=int, default=0, help="only the first N service days (0: the whole year)")
    parser.add_argument("--page-samples", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="print the profile of the first day's import")
    args = parser.parse_args()
    os.environ.update(
        in_process_env(
            DB_NAME,
            CELERY_TASK_ALWAYS_EAGER="false",
            DJANGO_ALLOWED_HOSTS="testserver",
            DJANGO_ROOT_URLCONF="bench.urls",
        )
    )
    print(f"Preparing database {DB_NAME} ...", flush=True)
    database_recreate(DB_NAME)
    try:
        import django

        django.setup()
        result = measure(args)
    finally:
        database_drop(DB_NAME)
    return 0 if report(result) else 1


if __name__ == "__main__":
    sys.exit(main())
