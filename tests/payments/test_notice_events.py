"""The record of a notice's life: each service that changes a notice leaves exactly one event saying who or what
did it, when and why (issue, bulk issue, publication, platform refusal, expiry, cancellation, payment)."""

import datetime
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from payments import services
from payments.errors import PlatformRejectedError
from payments.gateway import GatewayRejectedError
from payments.models import PaymentNotice, PaymentNoticeEvent
from payments.services.expiry import EXPIRED_REASON
from payments.services.positions import PLATFORM_REJECTED
from tests.payments.factories import child_make, notice_make, receipt_pay, single_option

pytestmark = pytest.mark.django_db

Action = PaymentNoticeEvent.Action
ActorKind = PaymentNoticeEvent.ActorKind
Status = PaymentNotice.Status


def events(notice: PaymentNotice) -> list[PaymentNoticeEvent]:
    return list(PaymentNoticeEvent.objects.filter(notice=notice).order_by("at", "pk"))


def test_issue_records_who_issued_it(giulia, parent):
    before = timezone.now()
    notice = notice_make(child=giulia, payer=parent, created_by=parent)
    [event] = events(notice)
    assert (event.action, event.from_status, event.to_status) == (Action.ISSUED, "", Status.ISSUED)
    assert (event.actor, event.actor_kind) == (parent, ActorKind.USER)
    assert before <= event.at <= timezone.now()


def test_issue_without_a_user_is_the_system(giulia, parent):
    [event] = events(notice_make(child=giulia, payer=parent))
    assert (event.action, event.actor, event.actor_kind) == (Action.ISSUED, None, ActorKind.SYSTEM)


def test_bulk_issue_records_one_event_per_notice(giulia, parent):
    other = child_make(adult=parent, first_name="Marco", last_name="Rossi")
    due = timezone.localdate() + datetime.timedelta(days=20)
    specs = [
        {
            "child": child,
            "service_kind": "transport",
            "purpose": "fee",
            "amount": "120.00",
            "causale": f"Trasporto scolastico a.s. 2026/2027 - {child.first_name}",
            "due_date": due,
            "payer": parent,
        }
        for child in (giulia, other)
    ]
    assert services.notices_issue_bulk(specs=specs) == 2
    rows = PaymentNoticeEvent.objects.filter(notice__child__in=[giulia, other])
    assert sorted((row.notice.child_id, row.action, row.to_status, row.actor_kind) for row in rows) == sorted(
        (child.pk, Action.ISSUED, Status.ISSUED, ActorKind.SYSTEM) for child in (giulia, other)
    )


def test_publication_is_recorded_once(giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    services.notice_publish(notice_id=notice.pk)
    services.notice_publish(notice_id=notice.pk)  # idempotent: nothing more happens, nothing more is recorded
    assert [event.action for event in events(notice)] == [Action.ISSUED, Action.PUBLISHED]
    published = events(notice)[-1]
    assert (published.from_status, published.to_status, published.actor_kind) == ("", "", ActorKind.SYSTEM)
    assert published.reason == "Stato sulla piattaforma: VALID"


def test_a_platform_refusal_is_recorded_with_the_platform_as_author(giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    refusing = mock.Mock()
    refusing.debt_position_create.side_effect = GatewayRejectedError("taxonomy", status=400, code="PAA_SINTASSI")
    with mock.patch("payments.gateway.get_gateway", return_value=refusing), pytest.raises(PlatformRejectedError):
        services.notice_publish(notice_id=notice.pk)
    refused = events(notice)[-1]
    assert [event.action for event in events(notice)] == [Action.ISSUED, Action.PLATFORM_REFUSED]
    assert (refused.from_status, refused.to_status, refused.actor, refused.actor_kind) == (
        "",
        "",
        None,
        ActorKind.PLATFORM,
    )
    assert refused.reason.startswith(PLATFORM_REJECTED)
    assert "PAA_SINTASSI" in refused.reason


def test_cancel_records_the_staff_user_and_the_reason(giulia, parent, staff_user):
    notice = notice_make(child=giulia, payer=parent, purpose="fee", amount="70.00", causale="Retta nido novembre")
    services.notice_publish(notice_id=notice.pk)
    services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="  Iscrizione   ritirata ")
    services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="di nuovo")  # already cancelled: no event
    cancelled = events(notice)[-1]
    assert [event.action for event in events(notice)] == [Action.ISSUED, Action.PUBLISHED, Action.CANCELLED]
    assert (cancelled.from_status, cancelled.to_status) == (Status.ISSUED, Status.CANCELLED)
    assert (cancelled.actor, cancelled.actor_kind, cancelled.reason) == (
        staff_user,
        ActorKind.USER,
        "Iscrizione ritirata",
    )


def test_expiring_three_notices_records_three_events_in_a_constant_number_of_queries(giulia, parent):
    after_due = timezone.localdate() + datetime.timedelta(days=11)
    one = [notice_make(child=giulia, payer=parent, due_in_days=10)]
    with CaptureQueriesContext(connection) as single:
        assert services.notices_expire_overdue(today=after_due) == 1
    three = [notice_make(child=giulia, payer=parent, due_in_days=10) for _n in range(3)]
    with CaptureQueriesContext(connection) as many:
        assert services.notices_expire_overdue(today=after_due) == 3
    assert len(many.captured_queries) == len(single.captured_queries)
    for notice in one + three:
        expired = events(notice)[-1]
        assert (expired.action, expired.from_status, expired.to_status) == (
            Action.EXPIRED,
            Status.ISSUED,
            Status.EXPIRED,
        )
        assert (expired.actor, expired.actor_kind, expired.reason) == (None, ActorKind.SYSTEM, EXPIRED_REASON)
    assert services.notices_expire_overdue(today=after_due) == 0  # nothing left to expire, nothing recorded
    assert PaymentNoticeEvent.objects.filter(action=Action.EXPIRED).count() == 4


def test_a_receipt_settles_the_notice_and_says_which(giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    _message, status = receipt_pay(single_option(notice))
    assert status == 200
    paid = events(notice)[-1]
    receipt = notice.receipts.get()
    assert (paid.action, paid.from_status, paid.to_status) == (Action.PAID, Status.ISSUED, Status.PAID)
    assert (paid.actor, paid.actor_kind) == (None, ActorKind.PLATFORM)
    assert paid.reason.startswith(f"Ricevuta {receipt.receipt_id}")


def test_an_instalment_is_a_payment_received_without_a_status_change(giulia, parent):
    notice = notice_make(child=giulia, payer=parent, amount="300.00", instalments=[("150.00", 10), ("150.00", 40)])
    first = notice.options.get(instalment=1)
    receipt_pay(first)
    received = events(notice)[-1]
    assert (received.action, received.from_status, received.to_status) == (Action.PAYMENT_RECEIVED, "", "")
    assert received.actor_kind == ActorKind.PLATFORM
    receipt_pay(notice.options.get(instalment=2))
    assert events(notice)[-1].action == Action.PAID
