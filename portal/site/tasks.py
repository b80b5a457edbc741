"""Celery wrappers of the site layer (listed in CELERY_IMPORTS: portal.site is not an installed app)."""

from celery import shared_task


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def retention_purge_task() -> dict[str, int | None]:
    """The nightly retention purge; fails (after every purger ran) if one of them failed."""
    from portal.models import RetentionRun

    from .retention import RetentionPurgeError, retention_purge_failed, retention_purge_run

    counts = retention_purge_run(dry_run=False, trigger=RetentionRun.Trigger.BEAT)
    failed = retention_purge_failed(counts)
    if failed:
        raise RetentionPurgeError(f"retention purgers failed: {', '.join(failed)}")
    return counts
