"""Celery wrappers of the fake platform's receipt delivery (thin: each imports its service when it runs)."""

from celery import shared_task
from django.conf import settings


@shared_task(acks_late=True, time_limit=120, soft_time_limit=90)
def receipt_deliveries_send_task(delivery_ids: list[int]) -> int:
    """Push the receipts of one payment, in the given order (queued after commit)."""
    from .delivery import receipt_deliveries_send

    return receipt_deliveries_send(delivery_ids=delivery_ids)


@shared_task(acks_late=True, time_limit=120, soft_time_limit=90)
def receipt_deliveries_send_due_task() -> int:
    """Push delayed receipts and retries whose time has come (beat, every 5 seconds; nothing without the fake)."""
    if not settings.PAYMENTS_MOCK_ENABLED:
        return 0
    from .delivery import receipt_deliveries_send_due

    return receipt_deliveries_send_due()
