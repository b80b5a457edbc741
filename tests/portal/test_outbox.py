"""The e-mail outbox: a row per e-mail, delivered after commit, exactly once, surviving a broker outage."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from portal import mail, tasks
from portal.models import OutboxEmail

pytestmark = pytest.mark.django_db


def enqueue(subject="Benvenuta"):
    return mail.email_enqueue(
        kind="test", to=["anna@example.it"], subject=subject, body_text="Ciao", body_html="<p>Ciao</p>"
    )


def test_delivery_is_queued_only_after_commit(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = enqueue()
    assert mailoutbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT
    assert email.attempts == 1
    assert len(mailoutbox) == 1
    assert mailoutbox[0].alternatives[0][1] == "text/html"


def test_rolled_back_action_sends_nothing(django_capture_on_commit_callbacks, mailoutbox):
    def failing_action():
        with transaction.atomic():
            enqueue()
            raise RuntimeError("the action failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        failing_action()
    assert not OutboxEmail.objects.exists()
    assert mailoutbox == []


def test_broker_down_keeps_the_row_and_it_is_sent_once_when_back(
    settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    broken = mock.patch.object(tasks.email_send_task, "delay", side_effect=ConnectionRefusedError("broker down"))
    with broken, django_capture_on_commit_callbacks(execute=True):
        email = enqueue()  # must not raise: the request that caused the e-mail still succeeds
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.PENDING
    assert mailoutbox == []

    settings.CELERY_TASK_ALWAYS_EAGER = True
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert tasks.email_dispatch_pending_task.delay().get() == 1
        assert tasks.email_dispatch_pending_task.delay().get() == 0
    assert tasks.email_send_task.delay(email.pk).get() is False  # the late original message is a no-op
    assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT


def test_real_broker_unreachable_does_not_raise(settings, django_capture_on_commit_callbacks):
    """A real publish to a closed port: kombu's error is swallowed, the row stays pending."""
    from portal.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app.conf.task_always_eager = False
    app._pool = None
    try:
        with django_capture_on_commit_callbacks(execute=True):
            email = enqueue()
    finally:
        app.conf.broker_url = previous
        app.conf.task_always_eager = True
        app._pool = None
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.PENDING


def test_recent_pending_rows_are_left_to_their_own_task(mailoutbox):
    with mock.patch.object(tasks.email_send_task, "delay"):
        enqueue()
    assert mail.email_dispatch_pending() == 0
    assert mailoutbox == []


def test_smtp_failure_is_recorded_and_retried_until_the_limit(settings, mailoutbox):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    with mock.patch.object(tasks.email_send_task, "delay"):
        email = enqueue()
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("smtp down")):
        assert mail.email_deliver(email_id=email.pk) is False
        email.refresh_from_db()
        assert (email.status, email.attempts) == (OutboxEmail.Status.PENDING, 1)
        assert "smtp down" in email.last_error
        assert mail.email_deliver(email_id=email.pk) is False
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboxEmail.Status.FAILED, 2)
    assert mailoutbox == []


def test_delivering_twice_sends_once(mailoutbox):
    with mock.patch.object(tasks.email_send_task, "delay"):
        email = enqueue()
    assert mail.email_deliver(email_id=email.pk) is True
    assert mail.email_deliver(email_id=email.pk) is False
    assert len(mailoutbox) == 1


def test_purge_removes_only_old_sent_rows(mailoutbox):
    with mock.patch.object(tasks.email_send_task, "delay"):
        old, pending = enqueue("old"), enqueue("pending")
    mail.email_deliver(email_id=old.pk)
    with time_machine.travel(timezone.now() + timedelta(days=120)):
        assert mail.email_purge_sent() == 1
    assert list(OutboxEmail.objects.values_list("pk", flat=True)) == [pending.pk]


def test_message_id_is_the_same_at_every_attempt(mailoutbox):
    """A resend after a crash (the relay took it, the row still says pending) carries the first attempt's Message-ID,
    so the relay and the mailbox drop the copy; two rows never share one."""
    first, second = enqueue(), enqueue()
    assert mail.email_deliver(email_id=first.pk)
    OutboxEmail.objects.filter(pk=first.pk).update(status=OutboxEmail.Status.PENDING)  # as if the worker died
    assert mail.email_deliver(email_id=first.pk)
    assert mail.email_deliver(email_id=second.pk)
    ids = [message.extra_headers["Message-ID"] for message in mailoutbox]
    assert ids[0] == ids[1] == mail.email_message_id(first)
    assert ids[2] != ids[0]
    assert mailoutbox[0].message()["Message-ID"] == ids[0]
