"""The e-mail outbox: every e-mail of the portal is a row first, delivered by a task after commit."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import OutboxEmail
from .tasks import email_send_task

logger = logging.getLogger(__name__)

# name → function(**kwargs) returning (filename, content_type, bytes): attachments are produced when the e-mail is
# delivered (by the worker), so the row can be written in the action's transaction without rendering a PDF there.
_ATTACHMENT_BUILDERS: dict[str, Callable[..., tuple[str, str, bytes]]] = {}


def register_attachment_builder(name: str, builder: Callable[..., tuple[str, str, bytes]]) -> None:
    _ATTACHMENT_BUILDERS[name] = builder


def attachment(builder: str, **kwargs) -> dict:
    """An attachment to pass to `email_enqueue`: the registered builder's name and its JSON arguments."""
    return {"builder": builder, "kwargs": kwargs}


@transaction.atomic
def email_enqueue(
    *, kind: str, to: list[str], subject: str, body_text: str, body_html: str = "", attachments: Sequence[dict] = ()
) -> OutboxEmail:
    """Write the e-mail as a pending row; its delivery is queued once the transaction commits."""
    email = OutboxEmail.objects.create(
        kind=kind[:100],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        subject=" ".join(subject.splitlines()).strip()[:255],
        body_text=body_text,
        body_html=body_html,
        attachments=list(attachments),
    )
    transaction.on_commit(partial(_dispatch, email.pk))
    return email


def email_enqueue_template(
    *, template: str, to: list[str], context: dict, attachments: Sequence[dict] = ()
) -> OutboxEmail:
    """Render `emails/<template>_subject.txt|_message.txt|_message.html` and enqueue the result."""
    subject = render_to_string(f"emails/{template}_subject.txt", context)
    body_text = render_to_string(f"emails/{template}_message.txt", context)
    body_html = render_to_string(f"emails/{template}_message.html", context)
    return email_enqueue(
        kind=template, to=to, subject=subject, body_text=body_text, body_html=body_html, attachments=attachments
    )


@dataclass(frozen=True)
class TemplateEmail:
    template: str
    to: list[str]
    context: dict
    attachments: tuple[dict, ...] = ()
    held: bool = False  # kept until the IO message sent instead of it is taken (portal.io), or goes if it is not


@transaction.atomic
def email_enqueue_many(emails: list[TemplateEmail]) -> list[OutboxEmail]:
    """Render many e-mails and write them in one insert (bulk office actions); delivery is queued after commit."""
    rows = []
    for email in emails:
        subject = render_to_string(f"emails/{email.template}_subject.txt", email.context)
        rows.append(
            OutboxEmail(
                kind=email.template[:100],
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=list(email.to),
                subject=" ".join(subject.splitlines()).strip()[:255],
                body_text=render_to_string(f"emails/{email.template}_message.txt", email.context),
                body_html=render_to_string(f"emails/{email.template}_message.html", email.context),
                attachments=list(email.attachments),
                status=OutboxEmail.Status.HELD if email.held else OutboxEmail.Status.PENDING,
            )
        )
    created = OutboxEmail.objects.bulk_create(rows, batch_size=500)
    to_send = [row.pk for row in created if row.status == OutboxEmail.Status.PENDING]
    transaction.on_commit(partial(_dispatch_many, to_send))
    return created


def _dispatch_many(email_ids: list[int]) -> None:
    for email_id in email_ids:
        _dispatch(email_id)


def email_dispatch(email_id: int) -> None:
    """Queue the delivery of one pending e-mail (after commit: see portal.io, which releases a held e-mail)."""
    _dispatch(email_id)


def _dispatch(email_id: int) -> None:
    """Queue the delivery task; if the broker is down, the row stays pending for the beat job."""
    try:
        email_send_task.delay(email_id)
    except Exception:  # the broker may be unreachable in many ways (kombu, redis, socket errors)
        logger.warning("Broker unreachable: outbox e-mail %s stays pending", email_id, exc_info=True)


def email_deliver(*, email_id: int) -> bool:
    """Send one pending e-mail exactly once. Returns True if this call sent it."""
    with transaction.atomic():
        email = OutboxEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status != OutboxEmail.Status.PENDING:
            return False
        message = EmailMultiAlternatives(
            email.subject, email.body_text, email.from_email, email.to, headers={"Message-ID": email_message_id(email)}
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        email.attempts += 1
        email.last_attempt_at = timezone.now()
        try:
            for item in email.attachments:
                filename, content_type, content = _ATTACHMENT_BUILDERS[item["builder"]](**item["kwargs"])
                message.attach(filename, content, content_type)
            message.send()
        except Exception as exc:  # SMTP and network errors of every kind: keep the row, record why
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                email.status = OutboxEmail.Status.FAILED
            email.save(update_fields=["attempts", "last_attempt_at", "last_error", "status"])
            logger.warning("Outbox e-mail %s not sent (attempt %s): %s", email.pk, email.attempts, exc)
            return False
        email.status = OutboxEmail.Status.SENT
        email.sent_at = email.last_attempt_at
        email.last_error = ""
        email.save(update_fields=["attempts", "last_attempt_at", "last_error", "status", "sent_at"])
        return True


def email_message_id(email: OutboxEmail) -> str:
    """The same Message-ID at every attempt of a row: if a worker dies after the relay took a message and before
    the row says so, the message is sent again, and relays and mailboxes drop the copy by this header."""
    return f"<outbox.{email.pk}.{int(email.created_at.timestamp())}@{DNS_NAME}>"


def email_pending_ids(*, older_than_seconds: int | None = None, limit: int = 500) -> list[int]:
    """Pending e-mails not touched for a while (their first dispatch was lost or failed)."""
    seconds = settings.OUTBOX_RETRY_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    cutoff = timezone.now() - timedelta(seconds=seconds)
    return list(
        OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def email_dispatch_pending(*, older_than_seconds: int | None = None) -> int:
    """Deliver every pending e-mail left behind; returns how many were sent by this call."""
    return sum(email_deliver(email_id=pk) for pk in email_pending_ids(older_than_seconds=older_than_seconds))


def email_purge_sent(*, days: int | None = None) -> int:
    keep = settings.OUTBOX_KEEP_SENT_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=keep)
    deleted, _ = OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT, sent_at__lt=cutoff).delete()
    return deleted
