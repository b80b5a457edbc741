"""The retention purge: every app's purger in one list, run nightly by beat and by `manage.py retention_purge`.

A purger is `<entity>_purge(*, now, dry_run) -> int` (one transaction; nothing written when dry_run; files deleted
after commit) and reads its period from the office's RetentionPolicy. To add one, append it to PURGERS.
Each purger's count is logged; a real run is also kept as a RetentionRun row (a dry run writes nothing).
"""

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.services import user_unverified_purge
from enrollment.services import enrollment_isee_purge, medical_diet_purge
from payments.services import refused_intake_call_purge
from portal.models import RetentionRun
from spid.services import spid_records_purge

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Purger:
    name: str  # stable key: the log line and RetentionRun.counts
    label: str | Promise  # what the office reads
    function: Callable[..., int]


PURGERS: list[Purger] = [
    Purger("medical_diets", _("diete mediche e certificati"), medical_diet_purge),
    Purger("isee_values", _("valori ISEE e protocolli DSU"), enrollment_isee_purge),
    Purger("unverified_accounts", _("account mai verificati"), user_unverified_purge),
    Purger("refused_intake_calls", _("chiamate rifiutate alla ricezione delle ricevute"), refused_intake_call_purge),
    Purger("spid_records", _("richieste SPID/CIE, asserzioni usate e accessi vecchi"), spid_records_purge),
]


class RetentionPurgeError(RuntimeError):
    """At least one purger failed (the others ran; each one's transaction stands on its own)."""


def retention_purge_run(
    *, now: datetime.datetime | None = None, dry_run: bool, trigger: str = RetentionRun.Trigger.COMMAND
) -> dict[str, int | None]:
    """Run every purger, each in its own transaction; their counts by name (None: it failed, and the error is
    logged; the others still run)."""
    now = now or timezone.now()
    counts: dict[str, int | None] = {}
    for purger in PURGERS:
        try:
            count = purger.function(now=now, dry_run=dry_run)
        except Exception:
            logger.exception("Retention purge %s failed", purger.name)
            counts[purger.name] = None
            continue
        counts[purger.name] = count
        logger.info("Retention purge %s: %s %d record(s)", purger.name, "would purge" if dry_run else "purged", count)
    if not dry_run:
        RetentionRun.objects.create(
            started_at=now, finished_at=timezone.now(), trigger=trigger, dry_run=False, counts=counts
        )
    return counts


def retention_purge_failed(counts: dict[str, int | None]) -> list[str]:
    return [name for name, count in counts.items() if count is None]
