"""Celery wrappers around the outbox (portal.mail): ids in, plain values out; each imports its service in its body
(the outbox imports this module to queue them)."""

from celery import shared_task
from django.conf import settings


@shared_task(acks_late=True, time_limit=60, soft_time_limit=45)
def email_send_task(email_id: int) -> bool:
    from .mail import email_deliver

    return email_deliver(email_id=email_id)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def email_dispatch_pending_task() -> int:
    from .mail import email_dispatch_pending

    return email_dispatch_pending(older_than_seconds=settings.OUTBOX_RETRY_AFTER_SECONDS)


@shared_task(acks_late=True, time_limit=600)
def email_purge_sent_task() -> int:
    from .mail import email_purge_sent

    return email_purge_sent()


@shared_task(acks_late=True, time_limit=60, soft_time_limit=45)
def io_send_task(message_id: int) -> str:
    from .io import io_deliver

    return io_deliver(message_id=message_id)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def io_dispatch_due_task() -> int:
    from .io import io_dispatch_due

    return io_dispatch_due()
