"""The three measurements, run in a process of its own on the filled database (DEBUG off, Celery's in-memory
broker): bulk acceptance, the admin review list's queries, the CSV exports."""

import gc
import time
import tracemalloc

from bench.enrollment import KITCHEN_DAY, TARGET_MEMORY_MB, TARGET_RATIO
from bench.enrollment.data import data_generate


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
