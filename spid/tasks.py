"""Celery wrapper around the identity providers' refresh (beat: every night, portal/schedule.py)."""

from dataclasses import asdict

from celery import shared_task


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def identity_providers_refresh_task() -> dict:
    from .registry import identity_providers_refresh

    return {kind: asdict(outcome) for kind, outcome in identity_providers_refresh().items()}
