"""The payment tasks: expiry of overdue notices, publication retried by the beat job, confirmation e-mails that
survive a broker outage and are sent exactly once."""

import datetime
from unittest import mock

import pytest
import time_machine
from django.utils import timezone

from payments import tasks
from payments.gateway import GatewayUnavailableError
from payments.models import PaymentNotice, Receipt
from portal import mail
from portal import tasks as portal_tasks
from portal.models import OutboxEmail
from tests.payments.factories import notice_make, receipt_pay, single_option

pytestmark = pytest.mark.django_db

Status = PaymentNotice.Status


def test_the_daily_job_expires_overdue_notices(giulia, parent):
    overdue = notice_make(child=giulia, payer=parent, due_in_days=3)
    open_ = notice_make(child=giulia, payer=parent, due_in_days=30)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=3)):
        assert tasks.notices_expire_overdue_task.delay().get() == 0  # due today: still payable
    with time_machine.travel(timezone.now() + datetime.timedelta(days=4)):
        assert tasks.notices_expire_overdue_task.delay().get() == 1
        assert tasks.notices_expire_overdue_task.delay().get() == 0  # idempotent
    overdue.refresh_from_db()
    open_.refresh_from_db()
    assert (overdue.status, open_.status) == (Status.EXPIRED, Status.ISSUED)
    assert overdue.closed_at is not None
    # a receipt that arrives afterwards is still taken, and flagged
    message, status = receipt_pay(single_option(overdue))
    assert (status, message.outcome) == (200, "flagged")


def test_publish_task_records_an_outage_and_the_beat_job_publishes_later(giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    with mock.patch(
        "payments.gateway.get_gateway",
        return_value=mock.Mock(**{"debt_position_create.side_effect": GatewayUnavailableError("down")}),
    ):
        assert tasks.notice_publish_task.delay(notice.pk).get() == ""  # no exception: the beat job retries
    notice.refresh_from_db()
    assert notice.platform_state == ""
    assert "down" in notice.platform_error
    assert tasks.notices_publish_pending_task.delay(ids=[notice.pk]).get() == 1
    notice.refresh_from_db()
    assert notice.platform_state == "VALID"
    assert tasks.notice_publish_task.delay(notice.pk).get() == "VALID"  # idempotent


def test_the_beat_job_leaves_the_newest_notices_to_their_own_task(giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    assert tasks.notices_publish_pending_task.delay().get() == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=2)):
        assert tasks.notices_publish_pending_task.delay().get() == 1
    notice.refresh_from_db()
    assert notice.platform_state == "VALID"


def _fast_receipt_pdf(*, receipt_id: int) -> tuple[str, str, bytes]:
    return f"ricevuta-{receipt_id}.pdf", "application/pdf", b"%PDF-1.7 test"


def test_broker_down_while_receipts_arrive_then_every_email_is_sent_once(
    giulia, parent, settings, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    notices = [notice_make(child=giulia, payer=parent, amount="10.00") for _n in range(50)]
    monkeypatch.setitem(mail._ATTACHMENT_BUILDERS, "payments.receipt_pdf", _fast_receipt_pdf)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    broken = mock.patch.object(
        portal_tasks.email_send_task, "delay", side_effect=ConnectionRefusedError("broker down")
    )
    with broken, django_capture_on_commit_callbacks(execute=True):
        for notice in notices:
            _message, status = receipt_pay(single_option(notice))
            assert status == 200  # the platform is answered: the payment is recorded
    assert Receipt.objects.count() == 50
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING).count() == 50
    assert mailoutbox == []

    settings.CELERY_TASK_ALWAYS_EAGER = True
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5)):
        assert portal_tasks.email_dispatch_pending_task.delay().get() == 50
        assert portal_tasks.email_dispatch_pending_task.delay().get() == 0
    assert len(mailoutbox) == 50
    assert sorted(m.to[0] for m in mailoutbox) == [parent.email] * 50
    assert all(m.attachments[0][1].startswith(b"%PDF") for m in mailoutbox)
    assert not OutboxEmail.objects.exclude(status=OutboxEmail.Status.SENT).exists()
