"""Schools' payment events benchmark (issue 14): "1,000 pupils in seconds".

    .venv/bin/python -m bench.school_events [--small 1000] [--large 5000]

Creates a throw-away PostgreSQL database (`portal_bench_school_events`, dropped at the end, also on failure), two
schools enabled as creditors, --small pupils in one and --large in the other (each with a parent of reference and an
accepted enrollment in a class), bulk inserted. Then, in this process as the Celery worker runs it, each school's
secretary creates an event for the whole school and `school_event_issue` issues its notices (checked, IUVs allocated,
written with their options and events, the payers' e-mails written to the outbox): seconds per event and per-notice
cost at --large next to --small (target: flat, <= 1.2x). The publication on pagoPA runs afterwards in its own tasks
(200 notices each) and is measured by bench.payments. Stops by itself; talks only to 127.0.0.1.
"""

import argparse
import datetime
import os
import sys
import time
import tracemalloc

from bench.database import database_drop, database_recreate, in_process_env
from bench.families import families_bulk_create

DB_NAME = os.environ.get("BENCH_DB_NAME", "portal_bench_school_events")
TARGET_RATIO = 1.2


def school_with_pupils(count: int, code: str, offset: int, fiscal_code: str, segregation: int):
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from enrollment.models import Enrollment, School, SchoolClass, SchoolStaff, SchoolYear, Service
    from payments.models import Creditor, CreditorSchool

    today = timezone.localdate()
    start = today.year if today.month >= 9 else today.year - 1
    with transaction.atomic():
        year, _ = SchoolYear.objects.get_or_create(
            name=f"{start}/{start + 1}",
            defaults={"starts_on": datetime.date(start, 9, 14), "ends_on": datetime.date(start + 1, 6, 9)},
        )
        school = School.objects.create(name=f"Scuola {code}", kind="primaria", ministry_code=code)
        classes = SchoolClass.objects.bulk_create(
            [SchoolClass(school=school, name=f"{n // 2 + 1}{'AB'[n % 2]}") for n in range(10)]
        )
        service, _ = Service.objects.get_or_create(kind="canteen", defaults={"name": "Mensa", "instalments": 1})
        service.schools.add(school)
        creditor = Creditor.objects.create(
            name=f"Istituto {code}",
            fiscal_code=fiscal_code,
            iban="IT13L0306909606100000012345",
            segregation_code=segregation,
            taxonomy={"trip": "9/0201135IM/"},
        )
        CreditorSchool.objects.create(creditor=creditor, school=school)
        users, children = families_bulk_create(
            count=count,
            adult_cf=lambda n: f"BNCEVT{offset + n:010d}",
            child_cf=lambda n: f"BNCEVC{offset + n:010d}",
            email=lambda n: f"e{offset + n}@bench.example.it",
            child_first_name="Alunno",
        )
        secretary = User.objects.create_user(
            f"BNCEVT{offset + count:010d}", f"e{offset + count}@bench.example.it", None, first_name="Segreteria"
        )
        SchoolStaff.objects.create(user=secretary).schools.add(school)
        Enrollment.objects.bulk_create(
            [
                Enrollment(
                    child=c,
                    service=service,
                    school_year=year,
                    status="accepted",
                    school=school,
                    school_class=classes[n % len(classes)],
                    created_by=u,
                    protocol=f"EVT-{offset + n}",
                )
                for n, (u, c) in enumerate(zip(users, children, strict=True))
            ],
            batch_size=2000,
        )
    return school, year, secretary


def issue(school, year, secretary) -> dict:
    from django.utils import timezone

    from payments.services import school_events

    draft = school_events.EventDraft(
        school=school,
        year=year,
        title="Uscita al museo",
        kind="trip",
        amount="12.50",
        due_date=timezone.localdate() + datetime.timedelta(days=20),
        target="school",
    )
    tracemalloc.start()
    start = time.perf_counter()
    event = school_events.school_event_create(draft=draft, actor=secretary)
    created = time.perf_counter() - start
    event = school_events.school_event_issue(event_id=event.pk)
    seconds = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert event.status == "issued", (event.status, event.error)
    return {"issued": event.issued, "seconds": seconds, "create_seconds": created, "peak_mb": peak / 1024 / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.school_events", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=5000)
    args = parser.parse_args()
    os.environ.update(in_process_env(DB_NAME, CELERY_TASK_ALWAYS_EAGER="false"))
    print(f"Preparing database {DB_NAME} ...", flush=True)
    database_recreate(DB_NAME)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        small_setup = school_with_pupils(args.small, "BENCH00001", 0, "80012345676", 11)
        large_setup = school_with_pupils(args.large, "BENCH00002", args.small + 1, "92012345671", 12)
        small = issue(*small_setup)
        print(f"   {small['issued']:,} notices issued in {small['seconds']:.1f} s", flush=True)
        large = issue(*large_setup)
        print(f"   {large['issued']:,} notices issued in {large['seconds']:.1f} s", flush=True)
    finally:
        database_drop(DB_NAME)
    per_small = small["seconds"] / max(small["issued"], 1) * 1000
    per_large = large["seconds"] / max(large["issued"], 1) * 1000
    ratio = per_large / per_small
    print()
    print("School payment events (create + issue, as the worker runs it; publication is separate)")
    for count, run, per in ((args.small, small, per_small), (args.large, large, per_large)):
        print(f"  {count:>6,} pupils: {run['seconds']:6.2f} s  {per:6.2f} ms/notice  peak {run['peak_mb']:.1f} MB")
    print(f"  per-notice ratio {args.large:,} / {args.small:,}: {ratio:.2f} (target <= {TARGET_RATIO})")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
