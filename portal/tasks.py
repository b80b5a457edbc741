from celery import shared_task
from django.conf import settings

from . import mail


@shared_task(acks_late=True, time_limit=60, soft_time_limit=45)
def email_send(email_id: int) -> bool:
    return mail.email_deliver(email_id=email_id)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def email_dispatch_pending() -> int:
    return mail.email_dispatch_pending(older_than_seconds=settings.OUTBOX_RETRY_AFTER_SECONDS)


@shared_task(acks_late=True, time_limit=600)
def email_purge_sent() -> int:
    return mail.email_purge_sent()
