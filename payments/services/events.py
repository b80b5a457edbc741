"""The record of a notice's life: every service that changes a notice writes its PaymentNoticeEvent here, in the
caller's transaction (issue, publication, platform refusal, expiry, cancellation, payment).

Events are never edited or deleted. `from_status`/`to_status` are blank for events that do not move the status
(publication, a refusal, a payment that leaves the notice as it is); `actor` is the user who acted, if any, and
`actor_kind` says who it was: a user, the portal itself (beat jobs, tasks) or the pagoPA platform.
"""

import datetime
from collections.abc import Iterable

from django.utils import timezone

from accounts.models import User

from ..models import PaymentNotice, PaymentNoticeEvent

Action = PaymentNoticeEvent.Action
ActorKind = PaymentNoticeEvent.ActorKind


def notice_event_build(
    *,
    notice_id: int,
    action: str,
    actor: User | None = None,
    actor_kind: str | None = None,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    at: datetime.datetime | None = None,
) -> PaymentNoticeEvent:
    """An unsaved event; `actor_kind` defaults to "user" when there is an actor, "system" otherwise."""
    return PaymentNoticeEvent(
        notice_id=notice_id,
        action=action,
        actor=actor,
        actor_kind=actor_kind or (ActorKind.USER if actor is not None else ActorKind.SYSTEM),
        from_status=from_status,
        to_status=to_status,
        reason=" ".join((reason or "").split())[:300],
        at=at or timezone.now(),
    )


def notice_event_record(
    *,
    notice: PaymentNotice,
    action: str,
    actor: User | None = None,
    actor_kind: str | None = None,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
) -> PaymentNoticeEvent:
    """Write one event of `notice` (joins the caller's transaction)."""
    event = notice_event_build(
        notice_id=notice.pk,
        action=action,
        actor=actor,
        actor_kind=actor_kind,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
    )
    event.save(force_insert=True)
    return event


def notice_events_record_many(*, events: Iterable[PaymentNoticeEvent]) -> list[PaymentNoticeEvent]:
    """Write many unsaved events in one INSERT (bulk issue, expiry)."""
    return PaymentNoticeEvent.objects.bulk_create(list(events), batch_size=1000)
