"""docker-compose.yml's production layout without Docker, for the load and fault benchmarks.

Everything is the bench's own, on free loopback ports and in one temporary folder: a PostgreSQL cluster (initdb +
pg_ctl; never the machine's server on 5432, which other work uses), a Redis server with its append-only file (never
6379), an SMTP sink that counts messages by Message-ID (the compose file's mail catcher), gunicorn for the portal,
another gunicorn for the fake pagoPA platform (outside the portal, as the real one: a portal worker that opens a
cart waits for the platform, and must not wait for itself), a Celery worker (2 processes, as compose) and beat.
`Stack` starts them in that order and stops them all, also on failure; the fault bench restarts and kills them.
"""

import base64
import contextlib
import email.parser
import glob
import os
import pwd
import secrets
import shutil
import signal
import socketserver
import subprocess
import tempfile
import threading
import time
from collections import Counter

import psycopg

from bench.database import admin_dsn, database_recreate, database_url
from bench.server import BASE_DIR, VENV_BIN, free_port, gunicorn_start, gunicorn_stop, healthz_wait, manage

DB_NAME = "portal_bench_stack"
WEBHOOK_SECRET = "bench-stack-receipt-secret"  # a throw-away secret shared by the portal and the fake


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError(f"{name} not found under /usr/lib/postgresql/*/bin (install the postgresql package)")
    return found[-1]


class Postgres:
    """A cluster of its own in `root`/pgdata, trust auth for `postgres` on 127.0.0.1:`port` only."""

    def __init__(self, root: str) -> None:
        self.data = os.path.join(root, "pgdata")
        self.sockets = os.path.join(root, "pgsock")
        self.log = os.path.join(root, "postgres.log")
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres system user
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([*self.as_user, *args], check=False, capture_output=True, text=True)
        if check and done.returncode != 0:
            raise RuntimeError(f"{os.path.basename(args[0])} failed: {done.stdout[-1500:]}{done.stderr[-1500:]}")
        return done

    def init(self) -> None:
        os.makedirs(self.sockets)
        os.makedirs(self.data, mode=0o700)
        open(self.log, "a").close()  # created here so that the cluster owner may write it
        if self.as_user:
            pw = pwd.getpwnam("postgres")
            for path in (self.sockets, self.data, self.log):
                os.chown(path, pw.pw_uid, pw.pw_gid)
        self._run(
            _pg_bin("initdb"),
            "-D",
            self.data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.sockets} -c max_connections=200"
        self._run(_pg_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(_pg_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "-t", "60", "stop", check=False)

    def ready(self) -> bool:
        try:
            with psycopg.connect(admin_dsn(self.port), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False


class Redis:
    """redis-server on 127.0.0.1:`port` with its append-only file in `root` (queued tasks survive a restart)."""

    def __init__(self, root: str) -> None:
        self.dir = os.path.join(root, "redis")
        os.makedirs(self.dir)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                self.dir,
                "--appendonly",
                "yes",
                "--save",
                "",
                "--logfile",
                os.path.join(self.dir, "redis.log"),
            ],
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        import redis

        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                if redis.Redis(port=self.port, socket_timeout=1).ping():
                    return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not answer in time")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SHUTDOWN: the append-only file is flushed
            self.proc.wait(timeout=20)
        self.proc = None


class SmtpSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP for Django's backend; every message's Message-ID counted (a resend counts twice)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.port = free_port()
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", self.port), _SmtpHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def record(self, raw: bytes) -> None:
        headers = email.parser.BytesHeaderParser().parsebytes(raw)
        with self.lock:
            self.counts[str(headers.get("Message-ID", "")).strip()] += 1

    def snapshot(self) -> Counter[str]:
        with self.lock:
            return Counter(self.counts)


class _SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self) -> None:
        try:
            self._session()
        except (ConnectionResetError, BrokenPipeError):  # a worker killed mid-message (fault c): expected
            return

    def _session(self) -> None:
        self.reply("220 bench-sink ESMTP")
        while line := self.rfile.readline():
            verb = line.decode(errors="replace").strip().upper()
            if verb.startswith("EHLO"):
                self.wfile.write(b"250-bench-sink\r\n250 8BITMIME\r\n")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while (part := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(part[1:] if part.startswith(b"..") else part)
                self.server.record(b"".join(lines))  # type: ignore[attr-defined]
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            elif verb.startswith(("HELO", "MAIL", "RCPT", "RSET", "NOOP")):
                self.reply("250 OK")
            else:
                self.reply("502 not implemented")


class Stack:
    """The whole layout; `env` is what every process of the portal gets (as compose's x-portal-env)."""

    def __init__(self, *, web_workers: int = 3, extra_env: dict[str, str] | None = None) -> None:
        self.root = tempfile.mkdtemp(prefix="portal-bench-stack-")
        os.chmod(self.root, 0o755)  # noqa: S103 - the postgres user must reach its cluster inside
        self.web_workers = web_workers
        self.postgres = Postgres(self.root)
        self.redis = Redis(self.root)
        self.smtp: SmtpSink | None = None
        self.web_port = free_port()
        self.fake_port = free_port()
        self.web: subprocess.Popen | None = None
        self.fake: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.extra_env = extra_env or {}
        self.env: dict[str, str] = {}

    def log(self, name: str) -> str:
        return os.path.join(self.root, f"{name}.log")

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("DJANGO_READ_DOT_ENV_FILE", None)
        assert self.smtp is not None
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "portal.settings",
                "DJANGO_DEBUG": "false",
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
                "DJANGO_SECURE_SSL_REDIRECT": "false",
                # The TLS proxy of compose appends the client's address: the load generator sends one per parent.
                "DJANGO_TRUSTED_PROXY_COUNT": "1",
                "DJANGO_ROOT_URLCONF": "bench.urls",
                "DJANGO_LOG_LEVEL": "WARNING",
                "DATABASE_URL": database_url(DB_NAME, self.postgres.port),
                "DATABASE_CONN_MAX_AGE": "60",
                "REDIS_URL": f"redis://127.0.0.1:{self.redis.port}/0",
                "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp.port}",
                "PORTAL_DOMAIN": f"127.0.0.1:{self.web_port}",
                "PAYMENTS_MOCK_ENABLED": "true",
                "PORTAL_DEMO": "true",  # the fake with DEBUG off: a benchmark, where nobody pays for real
                "MFA_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
                "PAGOPA_BASE_URL": f"http://127.0.0.1:{self.fake_port}/mockpsp/api",
                "PAGOPA_HTTP_TRANSPORT": "",
                "PAYMENTS_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "STATIC_ROOT": os.path.join(self.root, "static"),
                "MEDIA_ROOT": os.path.join(self.root, "media"),
                **self.extra_env,
            }
        )
        return env

    def start(self, prepare=None) -> None:
        """PostgreSQL, Redis, the sink; migrate, collectstatic, `prepare(env)`; gunicorns, worker, beat."""
        self.postgres.init()
        self.redis.start()
        self.smtp = SmtpSink()
        self.env = self._environment()
        database_recreate(DB_NAME, self.postgres.port)
        manage(self.env, "migrate", "-v0")
        manage(self.env, "collectstatic", "--noinput", "-v0")
        if prepare is not None:
            prepare(self.env)
        self.web_start()
        self.fake = gunicorn_start(self.env, self.fake_port, self.log("fake"), workers=2, extra=("--timeout=60",))
        healthz_wait(self.fake_port, self.fake)
        self.worker_start()
        self.beat = self._celery("beat", "--schedule", os.path.join(self.root, "celerybeat-schedule"))

    def web_start(self) -> None:
        # As compose's web command (3 workers by default there; --max-requests left out: restarts add noise).
        extra = ("--timeout=60", "--graceful-timeout=30", "--keep-alive=5", "--worker-tmp-dir=/dev/shm")
        self.web = gunicorn_start(self.env, self.web_port, self.log("web"), workers=self.web_workers, extra=extra)
        healthz_wait(self.web_port, self.web)

    def _celery(self, *args: str) -> subprocess.Popen:
        log = open(self.log(args[0]), "ab")  # noqa: SIM115 - kept open for the life of the process
        return subprocess.Popen(
            [os.path.join(VENV_BIN, "celery"), "-A", "portal", *args, "-l", "warning"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def worker_start(self) -> None:
        self.worker = self._celery("worker", "--concurrency", "2", "-n", f"bench{secrets.token_hex(3)}@%h")

    def worker_kill(self) -> None:
        """SIGKILL the worker and its pool processes at once (a container killed, a machine lost)."""
        if self.worker is not None and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait(timeout=10)
        self.worker = None

    def web_worker_pids(self) -> list[int]:
        assert self.web is not None
        out = subprocess.run(["pgrep", "-P", str(self.web.pid)], capture_output=True, text=True, check=False)
        return [int(pid) for pid in out.stdout.split()]

    def stop(self) -> None:
        for proc in (self.beat, self.worker):
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        for proc in (self.web, self.fake):
            if proc is not None:
                gunicorn_stop(proc)
        self.redis.stop()
        self.postgres.stop("immediate")
        if self.smtp is not None:
            self.smtp.shutdown()
            self.smtp.server_close()

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def dsn(self) -> str:
        return database_url(DB_NAME, self.postgres.port).replace("postgres://", "postgresql://")
