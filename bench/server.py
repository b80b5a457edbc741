"""What the benchmarks share around the portal: `manage.py` runs, gunicorn on a free loopback port, latencies.

The benchmarks run as modules from the repository's root (`.venv/bin/python -m bench.<name>`), so that neither
this folder nor a benchmark package shadows the standard library's `http` or the project's apps.
"""

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(BASE_DIR, ".venv", "bin")
VENV_PYTHON = os.path.join(VENV_BIN, "python")


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([VENV_PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def cache_flush(redis_url: str) -> None:
    """Empty the benchmarks' own Redis database: what a previous run cached (the current legal documents, consents
    checked) belongs to a database that was dropped, and would send this run's users to the consent page."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


# --- gunicorn ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_start(
    env: dict[str, str], port: int, log_path: str, *, workers: int = 2, extra: tuple[str, ...] = ()
) -> subprocess.Popen:
    log = open(log_path, "ab")  # noqa: SIM115 - kept open for the life of the server
    return subprocess.Popen(
        [
            os.path.join(VENV_BIN, "gunicorn"),
            "portal.wsgi:application",
            f"--workers={workers}",
            "--worker-class=sync",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
            *extra,
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


def gunicorn_log_tail(log_path: str, lines: int = 30) -> None:
    """After a failure: the end of gunicorn's log on stderr."""
    if os.path.exists(log_path):
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            print("--- last lines of the gunicorn log ---\n" + "".join(fh.readlines()[-lines:]), file=sys.stderr)


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
