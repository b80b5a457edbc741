"""Expiry: open notices past their due date become expired (the daily beat job), in a constant number of queries."""

import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.services import family_summary_invalidate

from ..models import PaymentNotice, PaymentNoticeEvent, PaymentOption
from .events import notice_event_build, notice_events_record_many

Status = PaymentNotice.Status


EXPIRED_REASON = "Scaduto il termine di pagamento"  # the expiry event's reason (stored as written, in Italian)


@transaction.atomic
def notices_expire_overdue(*, today: datetime.date | None = None) -> int:
    """Open notices whose every unpaid option is past its due date become expired (the daily beat job); a voluntary
    contribution never does (it is not a debt).

    A constant number of queries however many expire: lock them (a receipt paying one now is waited for, and then
    the notice is no longer issued, so it is left out), one UPDATE, one INSERT of their "expired" events.
    A receipt that arrives later is still accepted (and flagged for the office).
    """
    today = today or timezone.localdate()
    still_open = PaymentOption.objects.filter(notice=OuterRef("pk"), paid_at__isnull=True, due_date__gte=today)
    overdue = (
        PaymentNotice.objects.filter(status=Status.ISSUED, due_date__lt=today, voluntary=False)
        .filter(~Exists(still_open))
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    rows = list(overdue.values_list("pk", "child_id"))
    if not rows:
        return 0
    ids = [pk for pk, _child_id in rows]
    now = timezone.now()
    expired = PaymentNotice.objects.filter(pk__in=ids, status=Status.ISSUED).update(
        status=Status.EXPIRED, closed_at=now
    )
    family_summary_invalidate(child_ids={child_id for _pk, child_id in rows})
    notice_events_record_many(
        events=[
            notice_event_build(
                notice_id=pk,
                action=PaymentNoticeEvent.Action.EXPIRED,
                from_status=Status.ISSUED,
                to_status=Status.EXPIRED,
                reason=EXPIRED_REASON,
                at=now,
            )
            for pk in ids
        ]
    )
    return expired
