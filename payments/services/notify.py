"""The payer's e-mails about a notice: issued (the avviso PDF attached) and cancelled (with the office's reason).

Each e-mail is an outbox row written in the transaction of the change it tells (the issue, the cancellation), and
delivered after commit; the PDF is rendered by the worker at delivery. One e-mail per event: the issue happens
once, and a cancellation already done returns early (see `notice_cancel`); publishing on the platform, however many
times it is retried, sends nothing.

What an e-mail may say: causale, the child's name, service, amount, due dates, codici avviso, the office's reason
and a link to the notice's page. Never health or ISEE data (a causale cannot hold them: `causale_check`).
Top-ups are not told: the parent has just asked for them and is paying them on the page.
The portal has no service that changes a notice's amount or due date: a correction is a cancellation (told) and a
new notice (told). A voluntary contribution's amount chosen by the family is the one exception (they chose it).

The "new notice" message also goes to the app IO (portal.notify: the payer's channel), with the notice's payment data
so the payer pays it inside IO, for the Comune's own notices (IO's payee is the sending service's organization, the
Comune: a school's notice is e-mail only).
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from allauth.utils import build_absolute_uri
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from portal import mail
from portal.io import IoContent, payment_data
from portal.mail import TemplateEmail, attachment
from portal.models import NotifyKind, OutboxEmail
from portal.money import to_cents
from portal.notify import Notification, notify_many

from .. import pagopa
from ..models import PaymentNotice, PaymentOption, Receipt

logger = logging.getLogger(__name__)

ISSUED_TEMPLATE = "payment_notice_issued"
CANCELLED_TEMPLATE = "payment_notice_cancelled"
NOTICE_PDF_BUILDER = "payments.notice_pdf"  # registered by payments.pdf.register_builders


def portal_url(path: str) -> str:
    """An absolute URL of the portal (PORTAL_DOMAIN; http only for a local address or in DEBUG)."""
    domain = settings.PORTAL_DOMAIN
    scheme = "http" if domain.startswith(("127.", "localhost")) or settings.DEBUG else "https"
    return f"{scheme}://{domain}{path}"


def _recipient(notice: PaymentNotice) -> str:
    """The payer's address, if the payer is an active account with one ("" otherwise)."""
    payer = notice.payer
    if payer is None or not payer.is_active or not payer.email:
        return ""
    return payer.email


def _base_context(notice: PaymentNotice) -> dict[str, Any]:
    child = notice.child
    return {
        "comune": settings.PORTAL_COMUNE_NAME,
        "comune_email": settings.PORTAL_COMUNE_EMAIL,
        "payer_name": notice.payer_name,
        "child_name": " ".join(f"{child.first_name} {child.last_name}".split()),
        "service_name": notice.get_service_kind_display(),
        "causale": notice.causale,
        "amount": notice.amount,
        "due_date": notice.due_date,
        "notice_url": portal_url(reverse("payments:notice_detail", kwargs={"pk": notice.pk})),
        "issuer": notice.creditor.name if notice.creditor_id and notice.creditor else "",
        "voluntary": notice.voluntary,
        "event_note": notice.school_event.note if notice.school_event_id and notice.school_event else "",
    }


def _option_row(option: PaymentOption) -> dict[str, Any]:
    return {
        "instalment": option.instalment,
        "amount": option.amount,
        "due_date": option.due_date,
        "notice_number": pagopa.notice_number_grouped(option.notice_number),
    }


def issued_email(notice: PaymentNotice, options: Iterable[PaymentOption]) -> mail.TemplateEmail | None:
    """The "new notice" e-mail of `notice` (its options given: no query), or None when nobody is to be told."""
    to = _recipient(notice)
    if not to or notice.purpose == PaymentNotice.Purpose.TOPUP:
        return None
    rows = sorted((_option_row(option) for option in options), key=lambda row: row["instalment"])
    single = next((row for row in rows if row["instalment"] == 0), None)
    context = {
        **_base_context(notice),
        "notice_number": single["notice_number"] if single else "",
        "instalments": [row for row in rows if row["instalment"] > 0],
    }
    return mail.TemplateEmail(
        ISSUED_TEMPLATE, [to], context, (mail.attachment(NOTICE_PDF_BUILDER, notice_id=notice.pk),)
    )


IO_SERVICES = ("canteen", "transport", "nursery")


def issued_io(notice: PaymentNotice, options: Iterable[PaymentOption]) -> IoContent | None:
    """The "new notice" IO message (the Comune's notices, not top-ups), payable in the app: the single payment."""
    if notice.purpose == PaymentNotice.Purpose.TOPUP or notice.creditor_id or notice.service_kind not in IO_SERVICES:
        return None
    payer = notice.payer
    single = next((option for option in options if option.instalment == 0), None)
    if payer is None or not payer.is_active or single is None:
        return None
    return IoContent(
        kind=NotifyKind.NOTICE,
        service=notice.service_kind,
        fiscal_code=notice.payer_fiscal_code,
        template="notice_issued",
        context=_base_context(notice),
        payment_data=payment_data(amount_cents=to_cents(single.amount), notice_number=single.notice_number),
        due_date=single.due_date,
    )


def notices_issued_notify(*, notices: Iterable[PaymentNotice], options: Iterable[PaymentOption]) -> int:
    """Write the "new notice" messages of notices just issued (in the caller's transaction), by e-mail and/or IO as
    each payer chose; returns how many rows were written. Rendered in Italian (the portal's language, as the avviso)
    and written in one insert per channel.
    """
    by_notice: dict[int, list[PaymentOption]] = defaultdict(list)
    for option in options:
        by_notice[option.notice_id].append(option)
    with translation.override(settings.LANGUAGE_CODE):
        items = [
            Notification(notice.payer_id, NotifyKind.NOTICE, email, issued_io(notice, by_notice[notice.pk]))
            for notice in notices
            if (email := issued_email(notice, by_notice[notice.pk])) is not None
        ]
        return notify_many(items) if items else 0


def notice_cancelled_notify(*, notice: PaymentNotice) -> OutboxEmail | None:
    """Write the "notice cancelled" e-mail (why, as the office wrote it) in the caller's transaction."""
    to = _recipient(notice)
    if not to:
        return None
    options = sorted(notice.options.all(), key=lambda option: option.instalment)
    context = {
        **_base_context(notice),
        "notice_number": pagopa.notice_number_grouped(options[0].notice_number) if options else "",
        "reason": notice.closed_reason,
    }
    with translation.override(settings.LANGUAGE_CODE):
        return mail.email_enqueue_template(template=CANCELLED_TEMPLATE, to=[to], context=context)


def receipt_confirmation_enqueue(*, notice: PaymentNotice, option: PaymentOption, receipt: Receipt) -> int:
    """The confirmation e-mail with the receipt PDF (and, for the Comune's services, an IO message, as the payer
    chose), as outbox rows in this transaction (sent after commit); returns the rows written.

    Goes to the notice's payer (the account that owes it). A rendering error is logged and does not undo the
    payment: the money is recorded first.
    """
    payer = notice.payer
    if payer is None or not payer.is_active or not payer.email:
        return 0
    context = {
        "notice": notice,
        "option": option,
        "receipt": receipt,
        "child": notice.child,
        "payer": payer,
        "amount": receipt.amount,
        "comune": settings.PORTAL_COMUNE_NAME,
        "portal_url": build_absolute_uri(None, "/"),
    }
    email = TemplateEmail(
        "payment_receipt", [payer.email], context, (attachment("payments.receipt_pdf", receipt_id=receipt.pk),)
    )
    try:  # rendering comes first and writes nothing; the outbox insert has a savepoint of its own
        with transaction.atomic():
            return notify_many([Notification(payer.pk, NotifyKind.PAYMENT, email, _received_io(notice, receipt))])
    except Exception:  # a template error must not refuse a payment: the office sees the log
        logger.exception("Receipt %s: confirmation e-mail not queued", receipt.receipt_id)
        return 0


def _received_io(notice: PaymentNotice, receipt: Receipt) -> IoContent | None:
    if notice.creditor_id or notice.service_kind not in ("canteen", "transport", "nursery"):
        return None
    context = {
        "payer_name": notice.payer_name,
        "amount": receipt.amount,
        "causale": notice.causale,
        "comune": settings.PORTAL_COMUNE_NAME,
        "payments_url": build_absolute_uri(None, reverse("payments:notices")),
    }
    return IoContent(
        kind=NotifyKind.PAYMENT,
        service=notice.service_kind,
        fiscal_code=notice.payer_fiscal_code,
        template="payment_received",
        context=context,
    )
