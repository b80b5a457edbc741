"""Run the HTTP benchmark: `.venv/bin/python -m bench.http --help` (see the package's docstring)."""

import argparse
import contextlib
import os
import secrets
import shutil
import sys
import tempfile

import bench.http
from bench.database import database_drop, database_recreate, database_url
from bench.http import CONSTANT, DB_NAME, DEMO_CF, FAMILY, PAYMENTS, REDIS_URL, TARGET_QUERIES, TARGET_RATIO
from bench.http.client import Browser, Result, load, login
from bench.http.queries import family_queries, sql_shape
from bench.server import cache_flush, free_port, gunicorn_log_tail, gunicorn_start, gunicorn_stop, healthz_wait, manage


def bench_env(static_root: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url(DB_NAME),
            "REDIS_URL": REDIS_URL,
            "DJANGO_ROOT_URLCONF": "bench.urls",
            "STATIC_ROOT": static_root,
            "DJANGO_LOG_LEVEL": "WARNING",
        }
    )
    env.pop("DJANGO_READ_DOT_ENV_FILE", None)
    return env


def print_table(rows: list[Result]) -> None:
    print(f"{'endpoint':34} {'requests':>9} {'errors':>7} {'seconds':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for r in rows:
        print(
            f"{r.label:34} {len(r.latencies):9d} {r.errors:7d} {r.seconds:8.1f} {r.rps:8.1f}"
            f" {r.percentile(50):8.1f} {r.percentile(95):8.1f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.http", description=(bench.http.__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per endpoint per round")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds (spread noise evenly)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per endpoint")
    parser.add_argument(
        "--baseline",
        choices=["anonymous", "signed-in"],
        default="signed-in",
        help="which /bench/constant run the ratio target is checked against (both are printed); signed-in: the "
        "same request with the same session cookie and middleware, so only the view differs",
    )
    args = parser.parse_args()

    static_root = tempfile.mkdtemp(prefix="portal-bench-static-")
    log_path = os.path.join(tempfile.gettempdir(), f"portal-bench-gunicorn-{os.getpid()}.log")
    env = bench_env(static_root)
    proc = None
    failures: list[str] = []
    load_before = os.getloadavg()
    try:
        print(f"Preparing database {DB_NAME} (migrate, seed_demo) and static files in {static_root} ...", flush=True)
        database_recreate(DB_NAME)
        cache_flush(REDIS_URL)
        manage(env, "migrate", "-v0")
        manage(env, "seed_demo")
        manage(env, "collectstatic", "--noinput", "-v0")

        port = free_port()
        proc = gunicorn_start(env, port, log_path)
        healthz_wait(port, proc)
        print(f"gunicorn: 2 sync workers on 127.0.0.1:{port} (DEBUG off, ROOT_URLCONF=bench.urls)")

        browser = Browser(port)
        login(browser)
        print(f"Signed in as {DEMO_CF} through /account/login/; {FAMILY} answers 200 and shows the CF.")
        session_id = browser.cookies["sessionid"]

        anonymous = {"Host": f"127.0.0.1:{port}", "X-Forwarded-Proto": "https"}
        signed_in = browser.headers()
        endpoints = [
            ("GET /bench/constant (anonymous)", CONSTANT, anonymous, b"ok"),
            ("GET /famiglia/ (signed in)", FAMILY, signed_in, DEMO_CF.encode()),
            ("GET /bench/constant (signed in)", CONSTANT, signed_in, b"ok"),
            ("GET /pagamenti/avvisi/ (signed in)", PAYMENTS, signed_in, b"Pagamenti"),
        ]
        for label, path, headers, expect in endpoints:
            load(port, label, path, headers, expect, args.clients, args.warmup)

        totals = {label: Result(label, path) for label, path, _, _ in endpoints}
        per_round: list[Result] = []
        for round_no in range(args.rounds):
            order = endpoints if round_no % 2 == 0 else endpoints[::-1]
            for label, path, headers, expect in order:
                result = load(port, label, path, headers, expect, args.clients, args.duration)
                print(f"  round {round_no + 1}: {label:34} {result.rps:8.1f} req/s", flush=True)
                result.label = f"r{round_no + 1} {label}"
                per_round.append(result)
                totals[label].merge(result)

        cold, warm = family_queries(env, session_id)
    except BaseException:
        gunicorn_log_tail(log_path)
        raise
    finally:
        if proc is not None:
            gunicorn_stop(proc)
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        database_drop(DB_NAME)
        shutil.rmtree(static_root, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.remove(log_path)

    cores = os.cpu_count()
    load_after = os.getloadavg()
    print()
    print(
        f"Machine: {cores} cores. gunicorn (2 sync workers) and this load generator ({args.clients} threads) share "
        "them,\nso absolute figures are low; both endpoints run under the same conditions, alternating "
        f"({args.rounds} rounds x {args.duration:g} s each, after {args.warmup:g} s warm-up).\n"
        "Sync workers close the connection after each response: every request includes a TCP connect.\n"
        f"Load average before/after the run: {load_before[0]:.2f} / {load_after[0]:.2f} (other work on the machine "
        "adds noise; the rounds alternate so that it falls on both endpoints)."
    )
    print()
    print_table(per_round)
    print()
    print_table(list(totals.values()))
    family = totals[endpoints[1][0]]
    ratios = {
        "anonymous": family.rps / totals[endpoints[0][0]].rps if totals[endpoints[0][0]].rps else 0.0,
        "signed-in": family.rps / totals[endpoints[2][0]].rps if totals[endpoints[2][0]].rps else 0.0,
    }
    ratio = ratios[args.baseline]
    print()
    for name, value in ratios.items():
        gated = f"(target >= {TARGET_RATIO})" if name == args.baseline else "(not gated; --baseline " + name + ")"
        print(f"ratio rps(famiglia)/rps(constant, {name:9}) = {value:.2f}   {gated}")
    payments = totals[endpoints[3][0]]
    payments_ratio = payments.rps / totals[endpoints[2][0]].rps if totals[endpoints[2][0]].rps else 0.0
    print(f"ratio rps(payments)/rps(constant, signed-in) = {payments_ratio:.2f}   (not gated: the payments page)")
    print(
        "  anonymous: the constant view does no database work at all; signed-in: same cookies as the family page,\n"
        "  so session and user are loaded by the middleware in both and the difference is the view itself."
    )
    print()
    print(f"SQL queries per GET {FAMILY}: {len(warm)} warm (target <= {TARGET_QUERIES}), {len(cold)} cold")
    for i, query in enumerate(warm, 1):
        print(f"  {i}. {query['sql'][:160]}")
    if len(cold) != len(warm):
        print("  a request with the legal documents not cached (once per publish or 5 minutes) adds:")
        warm_shapes = [sql_shape(q["sql"]) for q in warm]
        for query in cold:
            if sql_shape(query["sql"]) in warm_shapes:
                warm_shapes.remove(sql_shape(query["sql"]))
            else:
                print(f"   + {query['sql'][:160]}")

    errors = sum(r.errors for r in totals.values())
    if errors:
        failures.append(f"{errors} failed requests during the load")
    if ratio < TARGET_RATIO:
        failures.append(f"ratio {ratio:.2f} < {TARGET_RATIO}")
    if len(warm) > TARGET_QUERIES:
        failures.append(f"{len(warm)} queries > {TARGET_QUERIES}")
    print()
    print("FAIL: " + "; ".join(failures) if failures else "PASS: all targets met")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
