"""What the fault bench checks: the database and the SMTP sink (nothing lost, nothing twice), and the requests'
log (no error outside an outage window)."""

import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field

import psycopg

from bench.payments.receipts import MISMATCHED_BALANCES_SQL

MESSAGE_ID = re.compile(r"<outbox\.(\d+)\.")


@dataclass
class Window:
    """An outage: from the fault until the service answers again, plus a grace for requests already waiting."""

    name: str
    start: float
    end: float = 0.0


@dataclass
class State:
    counts: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        c = self.counts
        return not (
            c["outbox_pending"] or c["notices_unpublished"] or c["deliveries_pending"] or c["receipts_missing"]
        )


def state(dsn: str, sink: Counter) -> State:
    """The counts, and every broken promise (an e-mail twice or missing, a receipt credited twice, a balance off)."""
    with psycopg.connect(dsn, connect_timeout=5) as conn:

        def one(sql: str) -> int:
            row = conn.execute(sql).fetchone()
            return int(row[0]) if row else 0

        sent_ids = {row[0] for row in conn.execute("SELECT id FROM portal_outboxemail WHERE status = 'sent'")}
        counts = {
            "outbox": one("SELECT count(*) FROM portal_outboxemail"),
            "outbox_sent": len(sent_ids),
            "outbox_pending": one("SELECT count(*) FROM portal_outboxemail WHERE status = 'pending'"),
            "outbox_failed": one("SELECT count(*) FROM portal_outboxemail WHERE status = 'failed'"),
            "notices": one("SELECT count(*) FROM payments_paymentnotice"),
            "notices_unpublished": one(
                "SELECT count(*) FROM payments_paymentnotice WHERE status = 'issued' AND platform_state = '' "
                "AND platform_error NOT LIKE 'Rifiutato%'"  # refused by the platform: the office's, never retried
            ),
            "fake_receipts": one("SELECT count(*) FROM mockpsp_receipt"),
            "deliveries_pending": one("SELECT count(*) FROM mockpsp_receiptdelivery WHERE delivered_at IS NULL"),
            "receipts": one("SELECT count(*) FROM payments_receipt"),
            "credits": one("SELECT count(*) FROM payments_ledgerentry WHERE receipt_id IS NOT NULL"),
            "receipts_credited_twice": one(
                "SELECT count(*) FROM (SELECT receipt_id FROM payments_ledgerentry WHERE receipt_id IS NOT NULL "
                "GROUP BY receipt_id HAVING count(*) > 1) t"
            ),
            "balances_off": one(MISMATCHED_BALANCES_SQL),
        }
    counts["receipts_missing"] = max(0, counts["fake_receipts"] - counts["receipts"])
    mailed: Counter[int] = Counter()
    for message_id, times in sink.items():
        match = MESSAGE_ID.search(message_id)
        mailed[int(match.group(1)) if match else -1] += times
    counts["mail_messages"] = sum(mailed.values())
    counts["mail_twice"] = sum(1 for pk, times in mailed.items() if times > 1)
    counts["mail_missing"] = len(sent_ids - set(mailed))
    counts["mail_unrecorded"] = len(set(mailed) - sent_ids)  # in the sink, but the row does not say sent (yet)
    problems = []
    # A message sent twice with the same Message-ID is a resend after a crash between the relay's OK and the row's
    # update (no transaction spans SMTP and PostgreSQL): reported, and dropped by relays and mailboxes as a copy.
    # Only two different messages for one row would be a broken promise, and a row's Message-ID never changes.
    if counts["mail_missing"]:
        problems.append(f"{counts['mail_missing']} e-mails marked sent that the sink never got")
    if counts["outbox_failed"]:
        problems.append(f"{counts['outbox_failed']} e-mails given up (failed)")
    if counts["credits"] != counts["receipts"] or counts["receipts_credited_twice"]:
        problems.append(f"{counts['receipts']} receipts but {counts['credits']} credits")
    if counts["balances_off"]:
        problems.append(f"{counts['balances_off']} balances different from the sum of their entries")
    return State(counts, problems)


def state_settle(dsn: str, sink_snapshot, timeout: float) -> tuple[State, float]:
    """Wait (at most `timeout` s) until nothing is pending: e-mails, publications, receipt deliveries."""
    start = time.monotonic()
    while True:
        try:
            current = state(dsn, sink_snapshot())
        except psycopg.Error:
            current = None
        if current is not None and (current.settled or time.monotonic() - start > timeout):
            return current, time.monotonic() - start
        time.sleep(2)


def requests_read(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def requests_judge(rows: list[dict], windows: list[Window]) -> dict:
    """Errors (5xx, no answer, or a failed check) inside and outside the outage windows; a request in flight when
    a window opens (started before, answered after) is inside it."""
    inside: Counter[str] = Counter()
    outside: Counter[str] = Counter()
    for row in rows:
        if row["ok"]:
            continue
        label = f"{row['name']} -> {row['status'] or 'no answer'}"
        answered = row["t"] + row["ms"] / 1000
        hit = next((w for w in windows if row["t"] <= (w.end or float("inf")) and answered >= w.start), None)
        if hit:
            inside[f"{hit.name}: {label}"] += 1
        else:  # after which fault, and how long after its window
            last = max((w for w in windows if w.start <= row["t"]), key=lambda w: w.start, default=None)
            when = f" ({row['t'] - last.end:+.0f} s after the {last.name} window)" if last else " (before any fault)"
            outside[label + when] += 1
    return {"requests": len(rows), "inside": inside, "outside": outside}
