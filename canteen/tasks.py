"""Celery wrappers around the canteen services (ids in, plain values out; idempotent).

Beat (portal/schedule.py): `balance_reminders_task` every night (low balance and arrears, once per crossing).
After each applied attendance file the reminders run for the children it debited (`balance_reminders_for`).
"""

from dataclasses import asdict

from celery import shared_task


@shared_task(acks_late=True, time_limit=900, soft_time_limit=840)
def balance_reminders_task() -> dict:
    from .services import balance_reminders

    return asdict(balance_reminders())


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def balance_reminders_for(child_ids: list[int]) -> dict:
    from .services import balance_reminders

    return asdict(balance_reminders(child_ids=list(child_ids)))


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def closure_notify_task(closure_id: int) -> int:
    from .models import Closure
    from .services import closure_notify

    closure = Closure.objects.filter(pk=closure_id).first()
    return closure_notify(closure=closure) if closure is not None else 0
