"""Retention: an account whose e-mail was never verified is deleted after the office's period, with its e-mail
rows and consents, so that its codice fiscale and e-mail are free for a new registration.

`user_unverified_purge(*, now, dry_run) -> int`: one transaction, the number of accounts deleted (or that would be,
when `dry_run`, which writes nothing). Nothing of the person is kept; the run's count is the trace
(portal.models.RetentionRun).
"""

from __future__ import annotations

import datetime
import logging

from allauth.account.models import EmailAddress
from django.db import transaction
from django.db.models import ProtectedError, QuerySet, RestrictedError

from portal.retention import retention_policy_current

from ..models import Guardianship, User

logger = logging.getLogger(__name__)


def _unverified_users(now: datetime.datetime) -> QuerySet[User]:
    """Parents who registered more than the period ago, never verified an e-mail, never signed in and are nobody's
    guardian (the office may have linked them)."""
    days = retention_policy_current().unverified_account_days
    verified = EmailAddress.objects.filter(verified=True).values("user_id")
    return (
        User.objects.filter(
            date_joined__lt=now - datetime.timedelta(days=days),
            last_login__isnull=True,
            is_staff=False,
            is_superuser=False,
        )
        .exclude(pk__in=verified)
        .exclude(pk__in=Guardianship.objects.values("adult_id"))
    )


@transaction.atomic
def user_unverified_purge(*, now: datetime.datetime, dry_run: bool) -> int:
    """Delete the never-verified accounts past the office's period (see the module docstring)."""
    users = _unverified_users(now)
    if dry_run:
        return users.count()
    purged = 0
    for user in users.select_for_update().order_by("pk"):
        try:
            with transaction.atomic():
                user.delete()
        except (ProtectedError, RestrictedError):
            # Something the office must keep names the account (a family link, a record it made): left alone.
            logger.warning("Unverified account %s not purged: other records refer to it", user.pk)
        else:
            purged += 1
    return purged
