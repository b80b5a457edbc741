"""The guard of the family summary cache, active in every test (tests/conftest.py): a service that writes a table
the family page or the payments page reads, and does not invalidate the family summary, fails the test.

How: every SQL statement of the test's connection goes through `WriteTracker` (`connection.execute_wrapper`).
An INSERT, UPDATE or DELETE on a watched table is attributed to the *entry point* that made it: the outermost
frame of the stack that belongs to a writing module of the apps (their `services`, `privacy`, `imports`, `pdf`,
`admin`). Every call of `portal.family_cache.family_versions_bump` / `family_generation_bump` is attributed the
same way. At the end of the test, an entry point that wrote and never invalidated is an error that names it and
the tables. Writes with no such frame (factories, fixtures, the demo seed, tests writing rows directly) are not
services and are left alone; so is an UPDATE of columns no page of the summary shows (IGNORED_UPDATE_COLUMNS).

A new service that writes children, guardianships, enrollments, notices, options, receipts, balances or ledger
entries is caught by its own tests the first time they run, without anyone remembering to add it to a list.
"""

import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

from accounts.models import Child, Guardianship
from enrollment.models import Enrollment, School, SchoolYear, Service
from payments.models import Balance, LedgerEntry, PaymentNotice, PaymentOption, Receipt
from portal import family_cache

# What the family page and the payments page read (portal.site.selectors, payments.selectors.notices_page_for_user).
WATCHED_MODELS = (
    Child,
    Guardianship,
    Enrollment,
    School,
    Service,
    SchoolYear,
    PaymentNotice,
    PaymentOption,
    Receipt,
    Balance,
    LedgerEntry,
)
WATCHED_TABLES = frozenset(model._meta.db_table for model in WATCHED_MODELS)
# Columns written without changing what those pages show: the platform's bookkeeping and the stored PDFs.
IGNORED_UPDATE_COLUMNS = {
    PaymentNotice._meta.db_table: frozenset({"platform_state", "platform_error", "pdf"}),
    Receipt._meta.db_table: frozenset({"pdf"}),
    # the retention purges: no card shows the ISEE value, the DSU protocol or the medical diet's purge date
    Enrollment._meta.db_table: frozenset({"isee_amount", "isee_protocol", "isee_purged_at", "health_data_purged_at"}),
}
WRITER_MODULE = re.compile(r"^(accounts|enrollment|payments)\.(services|privacy|imports|pdf|admin)(\.|$)")
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
SET_COLUMNS = re.compile(r'"(\w+)"\s*=')


def entry_point() -> str | None:
    """The outermost frame of an app's writing module on the current stack, as "module.function"."""
    frame = sys._getframe(1)
    found = None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if WRITER_MODULE.match(module):
            found = f"{module}.{frame.f_code.co_name}"
        frame = frame.f_back
    return found


def written_table(sql: str) -> str | None:
    """The watched table an INSERT/UPDATE/DELETE writes (None: a read, another table, or ignored columns)."""
    match = WRITE.match(sql)
    if match is None or match.group(1) not in WATCHED_TABLES:
        return None
    table = match.group(1)
    ignored = IGNORED_UPDATE_COLUMNS.get(table)
    if ignored and sql.lstrip()[:6].upper() == "UPDATE":
        set_clause = re.split(r"\sWHERE\s", sql, maxsplit=1, flags=re.IGNORECASE)[0]
        if set(SET_COLUMNS.findall(set_clause)) <= ignored:
            return None
    return table


class WriteTracker:
    def __init__(self) -> None:
        self.writes: dict[str, set[str]] = defaultdict(set)
        self.invalidated: set[str] = set()

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)  # a statement the database refused wrote nothing
        table = written_table(sql)
        if table is not None:
            entry = entry_point()
            if entry is not None:
                self.writes[entry].add(table)
        return result

    def invalidation(self) -> None:
        entry = entry_point()
        if entry is not None:
            self.invalidated.add(entry)

    def missing(self) -> dict[str, set[str]]:
        """Entry points that wrote a watched table and never invalidated the family summary."""
        return {entry: tables for entry, tables in self.writes.items() if entry not in self.invalidated}


@contextmanager
def tracking(monkeypatch) -> Iterator[WriteTracker]:
    tracker = WriteTracker()
    bump_versions, bump_generation = family_cache.family_versions_bump, family_cache.family_generation_bump

    def versions(**kwargs: Any) -> None:
        tracker.invalidation()
        bump_versions(**kwargs)

    def generation() -> None:
        tracker.invalidation()
        bump_generation()

    monkeypatch.setattr(family_cache, "family_versions_bump", versions)
    monkeypatch.setattr(family_cache, "family_generation_bump", generation)
    with connection.execute_wrapper(tracker):
        yield tracker


def report(missing: dict[str, set[str]]) -> str:
    lines = [f"  {entry} writes {', '.join(sorted(tables))}" for entry, tables in sorted(missing.items())]
    return (
        "These entry points write what the family page or the payments page shows without invalidating the "
        "family summary: call accounts.services.family_summary_invalidate(child_ids=..., user_ids=...) in their "
        "transaction (and list the service in tests/portal/family_cache/):\n" + "\n".join(lines)
    )
