"""HTTP benchmark: the family page against a constant view, on gunicorn, in one run.

    .venv/bin/python bench/http.py [--duration 5] [--rounds 4] [--clients 4] [--baseline anonymous|signed-in]

Creates a throw-away PostgreSQL database (portal_bench), migrates and seeds it, collects static files into
a temporary folder, starts gunicorn (2 sync workers, DEBUG off, DJANGO_ROOT_URLCONF=bench.urls), signs in
as the demo parent through the real allauth form, then loads GET /famiglia/ and GET /bench/constant (without
and with the session cookie) in alternating rounds from N client threads. Prints requests per second,
p50/p95 latency, the ratio rps(famiglia)/rps(constant) (target >= 0.5; --baseline picks which constant run
is gated, both are printed) and the SQL queries of one family page, measured in process with
CaptureQueriesContext on the same database and session (target <= 8).
Exits 1 when a target is missed. Talks only to 127.0.0.1; always stops gunicorn and drops the database.
"""

import os
import sys

# This file is called http.py: run as a script, its folder would shadow the standard library's `http`.
if __name__ == "__main__" and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse
import contextlib
import html
import http.client
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from bench.database import database_drop, database_recreate, database_url

DB_NAME = "portal_bench"
REDIS_URL = "redis://127.0.0.1:6379/3"
DEMO_CF = "RSSMRA85C52H501N"
DEMO_PASSWORD = "Scuola-Demo-2026"
FAMILY = "/famiglia/"
CONSTANT = "/bench/constant"
TARGET_RATIO = 0.5
TARGET_QUERIES = 8
BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(BASE_DIR, ".venv", "bin")


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


# --- database ----------------------------------------------------------------------------------


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([os.path.join(VENV_BIN, "python"), "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


# --- gunicorn ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_start(env: dict[str, str], port: int, log_path: str) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 - kept open for the life of the server
    return subprocess.Popen(
        [
            os.path.join(VENV_BIN, "gunicorn"),
            "portal.wsgi:application",
            "--workers=2",
            "--worker-class=sync",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def gunicorn_stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # the arbiter stops its workers gracefully
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def healthz_wait(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {proc.returncode}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


# --- a tiny HTTP client with a cookie jar ------------------------------------------------------


class Browser:
    """Speaks plain HTTP to gunicorn but says X-Forwarded-Proto: https, and sends Secure cookies itself."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, body: str | None = None, extra: dict[str, str] | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=self.headers(extra))
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response, content


def login(browser: Browser) -> bytes:
    response, content = browser.request("GET", "/account/login/")
    assert response.status == 200, f"GET /account/login/ answered {response.status}"
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content)
    assert match, "no csrfmiddlewaretoken in the login form"
    assert "csrftoken" in browser.cookies, "no csrftoken cookie"
    form = {"csrfmiddlewaretoken": html.unescape(match.group(1).decode()), "login": DEMO_CF, "password": DEMO_PASSWORD}
    origin = f"https://127.0.0.1:{browser.port}"
    response, content = browser.request(
        "POST",
        "/account/login/",
        body=urlencode(form),
        extra={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": origin,
            "Referer": f"{origin}/account/login/",
        },
    )
    hops = 0
    while response.status in (301, 302, 303) and hops < 5:
        location = response.headers["Location"]
        if location.startswith(origin):
            location = location[len(origin) :]
        response, content = browser.request("GET", location)
        hops += 1
    assert "sessionid" in browser.cookies, f"no session after login (last status {response.status})"
    response, content = browser.request("GET", FAMILY)
    assert response.status == 200, f"GET {FAMILY} after login answered {response.status}"
    assert DEMO_CF.encode() in content, f"{FAMILY} does not show the codice fiscale"
    return content


# --- load generator ----------------------------------------------------------------------------


@dataclass
class Result:
    label: str
    path: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000

    def merge(self, other: "Result") -> None:
        self.seconds += other.seconds
        self.latencies += other.latencies
        self.errors += other.errors


def load(
    port: int, label: str, path: str, headers: dict[str, str], expect: bytes, clients: int, seconds: float
) -> Result:
    """N threads, one http.client connection each, as many GETs as fit in `seconds`."""
    result = Result(label, path)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline = 0.0

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        latencies, errors = [], 0
        start.wait()
        while True:
            t0 = time.perf_counter()
            if t0 >= deadline:
                break
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                ok = response.status == 200 and expect in body
            except (OSError, http.client.HTTPException):
                conn.close()
                ok = False
            t1 = time.perf_counter()
            if ok:
                latencies.append(t1 - t0)
            else:
                errors += 1
        conn.close()
        with lock:
            result.latencies.extend(latencies)
            result.errors += errors

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    return result


# --- queries per request, in process -----------------------------------------------------------


def family_queries(env: dict[str, str], session_id: str) -> tuple[list[dict], list[dict]]:
    """SQL of GET /famiglia/ run in this process on the bench database, with the session made by the login.

    Returns the queries of a cold request (cache of current legal documents emptied) and of a warm one.
    """
    os.environ.update({k: v for k, v in env.items() if k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "STATIC_"))})
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.selectors import CURRENT_DOCUMENTS_CACHE_KEY

    client = Client(SERVER_NAME="127.0.0.1")
    client.cookies["sessionid"] = session_id

    def one() -> list[dict]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(FAMILY, secure=True)
        assert response.status_code == 200, f"in-process GET {FAMILY} answered {response.status_code}"
        assert DEMO_CF.encode() in response.content
        return list(ctx.captured_queries)

    cache.delete(CURRENT_DOCUMENTS_CACHE_KEY)
    connection.close()
    cold = one()
    one()
    warm = one()
    connection.close()
    return cold, warm


# --- report ------------------------------------------------------------------------------------


def sql_shape(statement: str) -> str:
    """The statement without its literals (timestamps and ids change from one request to the next)."""
    return re.sub(r"'[^']*'|\b\d+\b", "?", statement)


def print_table(rows: list[Result]) -> None:
    print(f"{'endpoint':34} {'requests':>9} {'errors':>7} {'seconds':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for r in rows:
        print(
            f"{r.label:34} {len(r.latencies):9d} {r.errors:7d} {r.seconds:8.1f} {r.rps:8.1f}"
            f" {r.percentile(50):8.1f} {r.percentile(95):8.1f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
        if os.path.exists(log_path):
            with open(log_path, encoding="utf-8", errors="replace") as fh:
                print("--- last lines of the gunicorn log ---\n" + "".join(fh.readlines()[-30:]), file=sys.stderr)
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
