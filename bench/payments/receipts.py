"""Receipts over HTTP: the intake on gunicorn under load, and the time until a receipt's credit is visible."""

import http.client
import queue
import threading
import time
from decimal import Decimal

import psycopg

from bench.database import database_url
from bench.payments import DB_NAME

STATION_CLIENT_SUBJECT = "CN=nodo.bench.example"  # what the bench's "proxy" says the Nodo's certificate is


def post_receipt(port: int, path: str, item: dict) -> tuple[int, float]:
    """POST one receipt: signed JSON to the intake, or (item["soap"]) paSendRTV2 to the station."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": f"127.0.0.1:{port}", "X-Forwarded-Proto": "https"}
    if item.get("soap"):
        headers |= {
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": '"paSendRTV2"',
            "X-SSL-Client-S-DN": STATION_CLIENT_SUBJECT,
        }
        body = item["soap"].encode()
    else:
        headers |= {"Content-Type": "application/json", "X-PagoPA-Signature": item["signature"]}
        body = item["body"].encode()
    start = time.perf_counter()
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        content = response.read()
        status = response.status
        if item.get("soap") and status == 200 and b"<outcome>OK</outcome>" not in content:
            status = 299  # a KO in a 200: not accepted
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        conn.close()
    return status, time.perf_counter() - start


def receipts_load(port: int, path: str, items: list[dict], clients: int) -> tuple[list[int], list[float], float]:
    work: queue.Queue = queue.Queue()
    for item in items:
        work.put(item)
    statuses, latencies = [], []
    lock = threading.Lock()

    def client() -> None:
        while True:
            try:
                item = work.get_nowait()
            except queue.Empty:
                return
            status, seconds = post_receipt(port, path, item)
            with lock:
                statuses.append(status)
                latencies.append(seconds)

    threads = [threading.Thread(target=client, daemon=True) for _n in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses, latencies, time.perf_counter() - start


def balance_latency(port: int, path: str, items: list[dict]) -> list[float]:
    """POST one receipt at a time; time until another connection sees the child's balance moved by its amount."""
    samples = []
    with psycopg.connect(database_url(DB_NAME).replace("postgres://", "postgresql://"), autocommit=True) as conn:

        def balance(item: dict) -> Decimal:
            row = conn.execute(
                "SELECT amount FROM payments_balance WHERE child_id = %s AND service_kind = %s",
                (item["child_id"], item["service_kind"]),
            ).fetchone()
            return row[0] if row else Decimal("0.00")

        for item in items:
            expected = balance(item) + Decimal(item["amount"])
            start = time.perf_counter()
            status, _seconds = post_receipt(port, path, item)
            if status != 200:
                raise RuntimeError(f"receipt answered {status}")
            while balance(item) != expected:
                if time.perf_counter() - start > 10:
                    raise RuntimeError("the balance did not move within 10 s")
                time.sleep(0.002)
            samples.append(time.perf_counter() - start)
    return samples


MISMATCHED_BALANCES_SQL = (
    "SELECT count(*) FROM payments_balance b WHERE b.amount <> COALESCE((SELECT sum(e.amount) FROM "
    "payments_ledgerentry e WHERE e.child_id = b.child_id AND e.service_kind = b.service_kind), 0)"
)


def db_counts(dsn: str | None = None) -> dict:
    with psycopg.connect(dsn or database_url(DB_NAME).replace("postgres://", "postgresql://")) as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "receipts": one("SELECT count(*) FROM payments_receipt"),
            "credits": one("SELECT count(*) FROM payments_ledgerentry WHERE receipt_id IS NOT NULL"),
            "outbox": one("SELECT count(*) FROM portal_outboxemail WHERE kind = 'payment_receipt'"),
            "mismatched_balances": one(MISMATCHED_BALANCES_SQL),
        }
