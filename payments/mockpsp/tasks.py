"""Celery wrappers of the fake platform's receipt delivery."""

from celery import shared_task
from django.conf import settings

from . import delivery


@shared_task(acks_late=True, time_limit=120, soft_time_limit=90)
def mockpsp_deliver(delivery_ids: list[int]) -> int:
    """Push the receipts of one payment, in the given order (queued after commit)."""
    return delivery.receipt_deliveries_send(delivery_ids=delivery_ids)


@shared_task(acks_late=True, time_limit=120, soft_time_limit=90)
def mockpsp_deliver_due() -> int:
    """Push delayed receipts and retries whose time has come (beat, every 5 seconds; nothing without the fake)."""
    if not settings.PAYMENTS_MOCK_ENABLED:
        return 0
    return delivery.receipt_deliveries_due()
