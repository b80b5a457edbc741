"""Enrollment back-office benchmark: CSV exports, the review list's queries, bulk acceptance.

    .venv/bin/python bench/enrollment.py [--rows 20000] [--schools 40] [--small 500] [--large 5000]

Creates a throw-away PostgreSQL database (`portal_bench_enrollment`, created through the `postgres` database,
migrated, dropped at the end, also on failure) and fills it directly with bulk inserts: one school year, 40
schools with 5 classes each (3 of them nurseries), the three services with their tariff plans, 20 transport
routes of 8 stops, about 8,400 parents and 13,500 children, and 20,000 enrollments with a realistic mix
(canteen for every school child, transport for about half of them, nursery for the nurseries' children; 85%
without a special diet, the rest no pork, vegetarian, no meat, other or medical with its details; statuses
mostly accepted, many submitted, some waitlisted, rejected or withdrawn).

Then, in this process (DEBUG off, Celery's in-memory broker so that e-mails are rendered and queued but not
sent), it measures:
1. bulk acceptance through `enrollments_accept_bulk` of 500 and then 5,000 submitted canteen enrollments (after
   a warm-up of 50): seconds, enrollments/s, and the per-item cost ratio large/small (target <= 1.2);
2. the admin review list (GET /admin/enrollment/enrollment/ as a superuser with TOTP) with 20 and with 100
   rows per page: the number of SQL queries must be the same (constant whatever the page size);
3. each export (roster of all schools, kitchen of a school day without and with names, transport of all routes):
   enrollments read, CSV lines, seconds, rows/s, and the peak memory growth while the whole file is produced
   (tracemalloc, in a second pass; target < 30 MB).

Exit status 1 when a target is missed. Talks only to the loopback PostgreSQL; about a minute or two.
"""

import os
import sys

# Run as a script, this folder comes first on sys.path: its http.py would shadow the standard library's and
# this very file the project's `enrollment` app.
if os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse
import datetime
import gc
import random
import secrets
import shutil
import subprocess
import tempfile
import time
import tracemalloc
from decimal import Decimal

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from bench.database import database_drop, database_recreate, database_url  # noqa: E402

DB_NAME = "portal_bench_enrollment"
VENV_PYTHON = os.path.join(BASE_DIR, ".venv", "bin", "python")
TARGET_RATIO = 1.2
TARGET_MEMORY_MB = 30
KITCHEN_DAY = datetime.date(2026, 10, 5)
FIRST = [
    *("Marco", "Luca", "Giulia", "Sofia", "Aurora", "Alice", "Matteo", "Lorenzo"),
    *("Anna", "Chiara", "Pietro", "Elena", "Tommaso", "Sara", "Nicola", "Irene"),
]
LAST = [
    *("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
    *("Marino", "Greco", "Bruno", "Gallo", "Conti", "Costa", "Rizzo", "Fontana"),
]


def bench_env(media_root: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_DEBUG": "false",  # DEBUG would keep every SQL statement in memory
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": database_url(DB_NAME),
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "REDIS_URL": "",
            "CELERY_BROKER_URL": "memory://",  # e-mails are queued in this process, never sent
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "MEDIA_ROOT": media_root,
            "EMAIL_FILE_PATH": media_root,
            "DJANGO_LOG_LEVEL": "WARNING",
        }
    )
    env.pop("DJANGO_READ_DOT_ENV_FILE", None)
    env.pop("DJANGO_ROOT_URLCONF", None)
    return env


# --- data ---------------------------------------------------------------------------------------


def data_generate(*, rows: int, schools: int, seed: int = 2026) -> dict:
    """Everything with bulk inserts; returns the ids the measurements need."""
    from accounts.models import Child, Guardianship, User
    from enrollment.models import (
        Enrollment,
        MedicalDiet,
        Route,
        School,
        SchoolClass,
        SchoolYear,
        Service,
        ServiceKind,
        Stop,
        TariffBand,
        TariffPlan,
    )

    rnd = random.Random(seed)
    year = SchoolYear.objects.create(
        name="2026/2027", starts_on=datetime.date(2026, 9, 14), ends_on=datetime.date(2027, 6, 10)
    )
    nurseries = 3
    school_rows = School.objects.bulk_create(
        School(
            name=f"{'Nido' if n < nurseries else 'Scuola primaria'} plesso {n + 1}",
            kind=School.Kind.NIDO if n < nurseries else School.Kind.PRIMARIA,
            ministry_code=f"BGEE{n:05d}X",
        )
        for n in range(schools)
    )
    classes = SchoolClass.objects.bulk_create(
        SchoolClass(school=school, name=f"{grade}{section}")
        for school in school_rows
        for grade, section in zip("12345", "AABBC", strict=True)
    )
    classes_of: dict[int, list] = {}
    for school_class in classes:
        classes_of.setdefault(school_class.school_id, []).append(school_class)
    services = {
        kind: Service.objects.create(kind=kind, name=name)
        for kind, name in (
            (ServiceKind.CANTEEN, "Mensa scolastica"),
            (ServiceKind.TRANSPORT, "Trasporto scolastico"),
            (ServiceKind.NURSERY, "Asilo nido"),
        )
    }
    nido, primary = school_rows[:nurseries], school_rows[nurseries:]
    services[ServiceKind.CANTEEN].schools.add(*primary)
    services[ServiceKind.TRANSPORT].schools.add(*primary)
    services[ServiceKind.NURSERY].schools.add(*nido)
    for service in services.values():
        plan = TariffPlan.objects.create(service=service, school_year=year)
        TariffBand.objects.bulk_create(
            [
                TariffBand(plan=plan, isee_from=Decimal(0), isee_to=Decimal(10000), amount=Decimal("2.50")),
                TariffBand(plan=plan, isee_from=Decimal(10000), isee_to=None, amount=Decimal("4.50")),
            ]
        )
    routes = Route.objects.bulk_create(Route(school_year=year, name=f"Linea {n + 1}", capacity=400) for n in range(20))
    stops = Stop.objects.bulk_create(
        Stop(
            route=route,
            order=order,
            name=f"Fermata {order} linea {route.name[6:]}",
            outbound_time=datetime.time(7, 10 + order * 5),
            return_time=datetime.time(16, 50 - order * 5),
        )
        for route in routes
        for order in range(1, 9)
    )
    stops_of: dict[int, list] = {}
    for stop in stops:
        stops_of.setdefault(stop.route_id, []).append(stop)

    office = User.objects.create_superuser("BNCHFF80A01H501X", "ufficio@bench.example.it", secrets.token_urlsafe(16))

    # Who goes where: a nursery child has the nursery; a school child the canteen and, one in two, transport.
    plan: list[tuple] = []
    total = 0
    while total < rows:
        school = rnd.choice(nido) if rnd.random() < 0.05 else rnd.choice(primary)
        if school.kind == School.Kind.NIDO:
            kinds = [ServiceKind.NURSERY]
        else:
            kinds = [ServiceKind.CANTEEN, *([ServiceKind.TRANSPORT] if rnd.random() < 0.5 else [])]
        kinds = kinds[: rows - total]
        plan.append((school, rnd.choice(classes_of[school.pk]), kinds))
        total += len(kinds)
    children_count = len(plan)
    parents_count = int(children_count / 1.6)
    parents = User.objects.bulk_create(
        (
            User(
                codice_fiscale=f"BNCADL{n:010d}",
                email=f"genitore{n}@bench.example.it",
                first_name=rnd.choice(FIRST),
                last_name=rnd.choice(LAST),
                password="!",
            )
            for n in range(parents_count)
        ),
        batch_size=2000,
    )
    children = Child.objects.bulk_create(
        (
            Child(
                codice_fiscale=f"BNCCHD{n:010d}",
                first_name=rnd.choice(FIRST),
                last_name=rnd.choice(LAST),
                birth_date=datetime.date(2015, 1, 1) + datetime.timedelta(days=rnd.randint(0, 3000)),
                sex=rnd.choice("MF"),
            )
            for n in range(children_count)
        ),
        batch_size=2000,
    )
    Guardianship.objects.bulk_create(
        (
            Guardianship(adult=parents[n % parents_count], child=child, role=Guardianship.Role.REFERENCE)
            for n, child in enumerate(children)
        ),
        batch_size=2000,
    )

    Status, Diet, DietStatus = Enrollment.Status, Enrollment.Diet, Enrollment.DietStatus
    now = datetime.datetime(2026, 6, 1, 10, tzinfo=datetime.UTC)
    status_mix = {
        ServiceKind.CANTEEN: ([Status.ACCEPTED, Status.SUBMITTED, Status.REJECTED, Status.WITHDRAWN], [50, 45, 2, 3]),
        ServiceKind.TRANSPORT: (
            [Status.ACCEPTED, Status.SUBMITTED, Status.WAITLISTED, Status.WITHDRAWN],
            [80, 10, 7, 3],
        ),
        ServiceKind.NURSERY: ([Status.ACCEPTED, Status.SUBMITTED, Status.WAITLISTED], [70, 10, 20]),
    }
    diets = ([Diet.NONE, Diet.NO_PORK, Diet.VEGETARIAN, Diet.NO_MEAT, Diet.OTHER, Diet.MEDICAL], [85, 5, 4, 1, 1, 4])
    enrollments = []

    def add(child, kind, school, school_class) -> None:
        status = rnd.choices(*status_mix[kind])[0]
        number = len(enrollments) + 1
        fields = {
            "child": child,
            "service": services[kind],
            "school_year": year,
            "status": status,
            "protocol": f"ISC-2026-{number:06d}",
            "school": school,
            "school_class": school_class,
            "resident": rnd.random() < 0.95,
            "isee_presented": rnd.random() < 0.6,
            "tariff_amount": Decimal("2.50"),
            "tariff_steps": [{"code": "total", "amount": "2.50"}],
            "created_by": office,
            "submitted_by": office,
            "submitted_at": now + datetime.timedelta(seconds=number),
            "declarations_accepted_at": now,
        }
        if fields["isee_presented"]:
            fields.update(
                isee_amount=Decimal(rnd.randint(3000, 40000)),
                isee_protocol=f"INPS-ISEE-2026-{number:08d}A-00",
                isee_expires_on=datetime.date(2026, 12, 31),
            )
        if kind in (ServiceKind.CANTEEN, ServiceKind.NURSERY):
            diet = rnd.choices(*diets)[0]
            fields["diet"] = diet
            if diet != Diet.NONE:
                fields["diet_status"] = DietStatus.ACCEPTED if rnd.random() < 0.85 else DietStatus.REQUESTED
                fields["diet_note"] = "senza manzo" if diet == Diet.OTHER else ""
        if kind == ServiceKind.TRANSPORT:
            route = rnd.choice(routes)
            fields.update(
                route=route,
                stop=rnd.choice(stops_of[route.pk]),
                direction=rnd.choice(Enrollment.Direction.values),
                pickup_adults="Nonna Maria, CI AB1234567\nZio Paolo, CI CD7654321" if rnd.random() < 0.3 else "",
            )
        if kind == ServiceKind.NURSERY:
            fields["pickup_adults"] = "Nonno Carlo, CI EF1234567"
        if status in (Status.ACCEPTED, Status.REJECTED):
            fields["decided_at"] = now + datetime.timedelta(days=10)
        enrollments.append(Enrollment(**fields))

    for child, (school, school_class, kinds) in zip(children, plan, strict=True):
        for kind in kinds:
            add(child, kind, school, school_class)
    created = Enrollment.objects.bulk_create(enrollments, batch_size=2000)
    MedicalDiet.objects.bulk_create(
        (
            MedicalDiet(enrollment=e, details="Allergia alle proteine del latte vaccino; no frutta a guscio.")
            for e in created
            if e.diet == Diet.MEDICAL
        ),
        batch_size=2000,
    )
    submitted_canteen = [
        e.pk for e in created if e.status == Status.SUBMITTED and e.service_id == services[ServiceKind.CANTEEN].pk
    ]
    rnd.shuffle(submitted_canteen)
    return {
        "year": year,
        "office": office,
        "schools": [s.pk for s in school_rows],
        "routes": [r.pk for r in routes],
        "submitted_canteen": submitted_canteen,
        "enrollments": len(created),
        "children": len(children),
        "parents": len(parents),
    }


# --- measurements -------------------------------------------------------------------------------


def bulk_accept(ids: list[int], actor) -> tuple[int, float, float]:
    """(accepted, wall seconds, this process's CPU seconds: Python's share, without PostgreSQL's)."""
    from enrollment.services import enrollments_accept_bulk

    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    done = enrollments_accept_bulk(enrollment_ids=ids, actor=actor)
    return done, time.perf_counter() - start, time.process_time() - cpu


def changelist_queries(office, per_page: int) -> tuple[int, int]:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib import admin
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from enrollment.models import Enrollment

    if not Authenticator.objects.filter(user=office).exists():
        TOTP.activate(office, generate_totp_secret())
    model_admin = admin.site._registry[Enrollment]
    model_admin.list_per_page = per_page
    client = Client()
    client.force_login(office)
    url = reverse("admin:enrollment_enrollment_changelist")
    response = client.get(url, secure=True)  # warm-up
    assert response.status_code == 200, f"the review list answered {response.status_code}"
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, secure=True)
    assert response.status_code == 200
    shown = response.content.count(b'name="_selected_action"')
    return shown, len(ctx.captured_queries)


def export_measure(label: str, make) -> dict:
    """Produce the whole file twice: timed, then under tracemalloc for the peak memory growth."""
    gc.collect()
    start = time.perf_counter()
    _filename, _content_type, chunks = make()
    size = lines = 0
    for chunk in chunks:
        size += len(chunk)
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - start

    gc.collect()
    tracemalloc.start()
    _filename, _content_type, chunks = make()
    for _chunk in chunks:
        pass
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"label": label, "lines": lines - 1, "bytes": size, "seconds": seconds, "peak_mb": peak / 1e6}


def measure(args) -> int:
    import logging
    import warnings

    import django

    django.setup()
    logging.getLogger("kombu").setLevel(logging.ERROR)  # the in-memory broker has no hostname: expected
    warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic: the admin's CSS is not timed
    from django.contrib.auth.models import Permission
    from django.db.models import Count

    from accounts.models import User
    from enrollment import exports
    from enrollment.models import Enrollment

    failures: list[str] = []
    start = time.perf_counter()
    data = data_generate(rows=args.rows, schools=args.schools)
    counts = dict(Enrollment.objects.order_by().values_list("status").annotate(n=Count("id")))
    print(
        f"Generated {data['enrollments']} enrollments of {data['children']} children ({data['parents']} parents) in "
        f"{args.schools} schools and {len(data['routes'])} routes in {time.perf_counter() - start:.1f} s; "
        + ", ".join(f"{status} {n}" for status, n in sorted(counts.items())),
        flush=True,
    )
    office = data["office"]
    ids = data["submitted_canteen"]
    if len(ids) < 50 + args.small + args.large:
        raise SystemExit(f"only {len(ids)} submitted canteen enrollments: lower --small/--large or raise --rows")

    # 1. bulk acceptance
    print("\n1. Bulk acceptance (enrollments_accept_bulk: lock, one UPDATE, events, e-mails rendered and queued)")
    bulk_accept(ids[:50], office)  # warm-up: templates, translations, connections
    batches = {"small": ids[50 : 50 + args.small], "large": ids[50 + args.small : 50 + args.small + args.large]}
    timings: dict[str, list[float]] = {"small": [], "large": []}
    cpu: dict[str, list[float]] = {"small": [], "large": []}
    done = {}
    for round_no in range(args.rounds):
        for label in ("small", "large") if round_no % 2 == 0 else ("large", "small"):
            done[label], seconds, cpu_seconds = bulk_accept(batches[label], office)
            timings[label].append(seconds)
            cpu[label].append(cpu_seconds)
            # Bench only: the same enrollments go back to the queue for the next round (events, e-mails stay).
            Enrollment.objects.filter(pk__in=batches[label]).update(
                status=Enrollment.Status.SUBMITTED, decided_at=None
            )
    small_done, large_done = done["small"], done["large"]
    small_seconds, large_seconds = min(timings["small"]), min(timings["large"])
    small_each, large_each = small_seconds / small_done, large_seconds / large_done
    ratio = large_each / small_each
    for label, count, seconds in (("small", small_done, small_seconds), ("large", large_done, large_seconds)):
        rounds = ", ".join(f"{t:.2f}" for t in timings[label])
        print(
            f"   {label:6} {count:6d} accepted in {seconds:6.2f} s = {count / seconds:7.0f} /s "
            f"({seconds / count * 1000:.2f} ms each; best of {args.rounds} rounds: {rounds} s)"
        )
    cpu_ratio = (min(cpu["large"]) / large_done) / (min(cpu["small"]) / small_done)
    print(f"   per-item cost ratio large/small = {ratio:.2f} (target <= {TARGET_RATIO})")
    print(
        f"   (this process's CPU per item: {min(cpu['small']) / small_done * 1000:.2f} ms small, "
        f"{min(cpu['large']) / large_done * 1000:.2f} ms large, ratio {cpu_ratio:.2f}; the rest is PostgreSQL "
        "and waiting for the CPU)"
    )
    if small_done != args.small or large_done != args.large:
        failures.append(f"bulk acceptance changed {small_done}/{large_done}, expected {args.small}/{args.large}")
    if ratio > TARGET_RATIO:
        failures.append(f"bulk acceptance per-item ratio {ratio:.2f} > {TARGET_RATIO}")

    # The rest of the canteen queue is accepted too (untimed), so that the exports read nearly every enrollment.
    bulk_accept(ids, office)

    # 2. the review list
    print("\n2. Admin review list (GET /admin/enrollment/enrollment/, warm), SQL queries per page size")
    results = {per_page: changelist_queries(office, per_page) for per_page in (20, 100)}
    for shown, queries in results.values():
        print(f"   {shown:4d} rows shown: {queries} queries")
    if results[20][1] != results[100][1]:
        failures.append(f"review list queries {results[20][1]} (20 rows) != {results[100][1]} (100 rows)")
    else:
        print("   constant: the same number of queries whatever the page size")

    # 3. exports
    print(f"\n3. Exports (whole file produced; memory: tracemalloc peak, target < {TARGET_MEMORY_MB} MB)")
    kitchen_user = User.objects.create_user("BNCKTC80A01H501X", "cucina@bench.example.it", "x")
    kitchen_user.user_permissions.add(Permission.objects.get(codename="view_health_data"))
    kitchen_user = User.objects.get(pk=kitchen_user.pk)
    year, schools, routes = data["year"], data["schools"], data["routes"]
    accepted = Enrollment.objects.filter(status=Enrollment.Status.ACCEPTED)
    read = {
        "roster": accepted.count(),
        "kitchen": accepted.filter(service__kind="canteen").count(),
        "transport": accepted.filter(service__kind="transport").count(),
    }
    runs = [
        ("roster, 40 schools", "roster", lambda: exports.roster_export(school_ids=schools, school_year=year)),
        (
            "kitchen, counts only",
            "kitchen",
            lambda: exports.kitchen_export(school_ids=schools, day=KITCHEN_DAY, include_names=False),
        ),
        (
            "kitchen, with names",
            "kitchen",
            lambda: exports.kitchen_export(school_ids=schools, day=KITCHEN_DAY, include_names=True, user=kitchen_user),
        ),
        ("transport, 20 routes", "transport", lambda: exports.transport_export(route_ids=routes, school_year=year)),
    ]
    print(f"   {'export':22} {'enrollments':>11} {'lines':>7} {'MB':>6} {'seconds':>8} {'rows/s':>8} {'peak MB':>8}")
    for label, kind, make in runs:
        result = export_measure(label, make)
        rate = read[kind] / result["seconds"]
        print(
            f"   {label:22} {read[kind]:11d} {result['lines']:7d} {result['bytes'] / 1e6:6.2f} "
            f"{result['seconds']:8.2f} {rate:8.0f} {result['peak_mb']:8.2f}"
        )
        if result["peak_mb"] >= TARGET_MEMORY_MB:
            failures.append(f"{label}: peak memory {result['peak_mb']:.1f} MB >= {TARGET_MEMORY_MB} MB")

    print()
    for failure in failures:
        print(f"FAILED: {failure}")
    print("PASS: all targets met" if not failures else "Some targets were missed.")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="enrollments to generate")
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--small", type=int, default=500, help="enrollments accepted in the small bulk run")
    parser.add_argument("--large", type=int, default=5_000, help="enrollments accepted in the large bulk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating bulk acceptance rounds (best kept)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return measure(args)

    media_root = tempfile.mkdtemp(prefix="portal-bench-enrollment-")
    env = bench_env(media_root)
    try:
        print(f"Preparing database {DB_NAME} (migrate) ...", flush=True)
        database_recreate(DB_NAME)
        subprocess.run([VENV_PYTHON, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True)
        command = [VENV_PYTHON, os.path.abspath(__file__), "--measure", *sys.argv[1:]]
        return subprocess.run(command, cwd=BASE_DIR, env=env, check=False).returncode
    finally:
        database_drop(DB_NAME)
        shutil.rmtree(media_root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
