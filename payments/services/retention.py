"""Retention of the receipt endpoint's refused calls (hash, length, first kilobyte, sender): kept the office's period
for security checks, then deleted by the nightly purge (portal.site.retention)."""

import datetime

from django.db import transaction

from portal.retention import retention_policy_current

from ..models import ReceiptMessage


@transaction.atomic
def refused_intake_call_purge(*, now: datetime.datetime, dry_run: bool) -> int:
    """Delete the refused calls older than the office's period; how many (or would be, with dry_run)."""
    days = retention_policy_current().refused_call_days
    refused = ReceiptMessage.objects.filter(authenticated=False, received_at__lt=now - datetime.timedelta(days=days))
    if dry_run:
        return refused.count()
    deleted, _ = refused.delete()
    return deleted
