"""Celery wrappers around the payment services (ids in, plain values out; every task is idempotent).

A task imports its service inside its body: the services import this module (to queue tasks after commit), never
the other way round at import time.

Beat (CELERY_BEAT_SCHEDULE): `notices_publish_pending_task` every minute (notices the platform has not got yet,
because its task was lost or the platform was down), `notices_expire_overdue_task` once a day after midnight,
`nursery_fees_issue_current_month_task` on the first of each month (the nursery's monthly fees),
`receipts_pull_task` and `positions_sweep_task` every hour (receipts whose push was lost), `fdr_import_task`
every morning (the reconciliation flows).
"""

import logging

from celery import shared_task
from django.utils import timezone

from .errors import PlatformRejectedError
from .gateway import GatewayUnavailableError

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, time_limit=120, soft_time_limit=90)
def notice_publish_task(notice_id: int) -> str:
    """Publish one notice; when the platform is down or refuses, the notice records why and the task ends."""
    from .services import notice_publish

    try:
        return notice_publish(notice_id=notice_id)
    except GatewayUnavailableError:
        logger.warning("Notice %s not published: pagoPA unavailable, the beat job will retry", notice_id)
    except PlatformRejectedError:
        pass  # recorded on the notice and logged by the service: the office looks
    return ""


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def notices_publish_pending_task(ids: list[int] | None = None) -> int:
    from .services import notices_publish_pending

    return notices_publish_pending(ids=ids)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def notices_expire_overdue_task() -> int:
    from .services import notices_expire_overdue

    return notices_expire_overdue()


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def nursery_fees_issue_current_month_task() -> int:
    """The nursery's fee notices of this month (Europe/Rome); run again, it issues only what is missing."""
    from .services import nursery_fees_issue

    return nursery_fees_issue(month=timezone.localdate())


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def receipts_pull_task(days: int | None = None) -> dict:
    """Pull from the platform the receipts of the last days that the portal does not have."""
    from dataclasses import asdict

    from .services import receipts_pull

    return asdict(receipts_pull(days=days))


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def positions_sweep_task() -> dict:
    """Ask the platform about notices still open here; pull the receipts of those paid there."""
    from dataclasses import asdict

    from .services import positions_sweep

    return asdict(positions_sweep())


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500)
def fdr_import_task() -> dict:
    """Read the reconciliation flows published since the last run and match them to the receipts."""
    from dataclasses import asdict

    from .services import fdr_import

    result = asdict(fdr_import())
    result.pop("pulled", None)
    return result


@shared_task(acks_late=True, time_limit=7200, soft_time_limit=7100)
def certificates_issue_year_task(year: int) -> dict:
    """The year's tax certificates for every child, progress in the cache for the admin's page."""
    from dataclasses import asdict

    from django.core.cache import cache

    from .services.certificates import PROGRESS_KEY, certificates_issue_year

    key = PROGRESS_KEY.format(year=year)

    def progress(*, done: int, total: int) -> None:
        if done == total or done % 25 == 0:
            cache.set(key, {"done": done, "total": total, "finished": done == total}, timeout=86400)

    cache.set(key, {"done": 0, "total": 0, "finished": False}, timeout=86400)
    result = asdict(certificates_issue_year(year=year, progress=progress))
    cache.set(
        key,
        {**(cache.get(key) or {}), "finished": True, **{k: v for k, v in result.items() if k != "certificate_ids"}},
        timeout=86400,
    )
    return {k: v for k, v in result.items() if k != "certificate_ids"}


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def certificates_refresh_task(child_id: int, year: int) -> dict:
    """Issue again one child's certificates of a year already issued (a late receipt or a refund changed it)."""
    from dataclasses import asdict

    from accounts.models import Child

    from .services.certificates import certificates_issue, emails_for_issued

    child = Child.objects.filter(pk=child_id).first()
    if child is None:
        return {}
    result = certificates_issue(child=child, year=year)
    emails_for_issued(result.certificate_ids)
    return {k: v for k, v in asdict(result).items() if k != "certificate_ids"}


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def certificate_pdf_task(certificate_id: int) -> bool:
    """Render and store one tax certificate's PDF (once: a stored PDF is left as it is)."""
    from .certificate_pdf import certificate_pdf_get_or_render
    from .models import TaxCertificate

    certificate = TaxCertificate.objects.select_related("child").filter(pk=certificate_id).first()
    if certificate is None:
        return False
    certificate_pdf_get_or_render(certificate=certificate)
    return True


@shared_task(acks_late=True)
def school_event_issue_task(event_id: int) -> int:
    """Issue a school event's notices (its page shows the progress)."""
    from .services.school_events import school_event_issue

    return school_event_issue(event_id=event_id).issued


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def school_event_cancel_task(event_id: int, actor_id: int | None) -> str:
    """Cancel a school event's open notices (one pagoPA call each); its page shows the progress."""
    from accounts.models import User

    from .services.school_events import school_event_cancel_run

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return school_event_cancel_run(event_id=event_id, actor=actor).status


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def school_event_remind_task(event_id: int) -> int:
    from .services.school_events import school_event_reminders_write

    return school_event_reminders_write(event_id=event_id)
