"""Debt positions on the pagoPA platform (GPD): a notice is published there once, after it is issued here.

A notice is published by a task queued after commit (`notice_publish_enqueue`); the beat job
`notices_publish_pending_task` retries what did not go (platform down, task lost); what the platform refuses is
recorded for the office (platform_error and a "refused" event) and not retried.
"""

import datetime
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from portal.money import to_cents

from .. import gateway as gateway_module
from .. import pagopa, tasks
from ..creditors import notice_creditor
from ..errors import PlatformRejectedError
from ..gateway import DebtPosition, DebtPositionOption, GatewayRejectedError, GatewayUnavailableError
from ..models import PaymentNotice, PaymentNoticeEvent, PaymentOption
from .events import notice_event_record

logger = logging.getLogger(__name__)

Status = PaymentNotice.Status
PlatformState = PaymentNotice.PlatformState

# platform_error starts with one of these: the beat job retries "unavailable", never "rejected" (the office looks).
PLATFORM_UNAVAILABLE = "Non raggiungibile"
PLATFORM_REJECTED = "Rifiutato"
GPD_STATE = {
    "DRAFT": PlatformState.NOT_SENT,
    "PUBLISHED": PlatformState.VALID,
    "VALID": PlatformState.VALID,
    "PARTIALLY_PAID": PlatformState.VALID,
    "EXPIRED": PlatformState.VALID,
    "PAID": PlatformState.PAID,
    "REPORTED": PlatformState.PAID,
    "INVALID": PlatformState.INVALID,
}


def notice_publish_enqueue(notice_id: int) -> None:
    """Queue the publication (run on commit); a broker outage (or the platform down, with eager tasks) leaves it
    to the beat job."""
    try:
        tasks.notice_publish_task.delay(notice_id)
    except Exception:  # the broker may be unreachable in many ways (kombu, redis, socket errors)
        logger.warning("Notice %s: publication not queued, the beat job will retry", notice_id, exc_info=True)


def notices_publish_enqueue(notice_ids: list[int]) -> None:
    """Queue the publication of a chunk of notices issued together (run on commit); as above on an outage."""
    try:
        tasks.notices_publish_pending_task.delay(ids=notice_ids)
    except Exception:  # as above
        logger.warning("%s notices: publication not queued, the beat job will retry", len(notice_ids), exc_info=True)


def debt_position_of(notice: PaymentNotice, options: list[PaymentOption]) -> DebtPosition:
    """The notice and its options as the platform receives them (amounts in cents, instalment descriptions)."""
    count = sum(1 for option in options if option.instalment)
    creditor = notice_creditor(notice)
    kind = notice.school_event.kind if notice.school_event_id and notice.school_event else notice.service_kind
    return DebtPosition(
        iupd=notice.iupd,
        payer_fiscal_code=notice.payer_fiscal_code,
        payer_name=notice.payer_name,
        payer_email=notice.payer.email if notice.payer is not None and notice.payer.is_active else "",
        company_name=creditor.name,
        office_name=creditor.office,
        taxonomy_code=creditor.taxonomy_code(kind),
        iban=creditor.iban,
        organization_fiscal_code=creditor.fiscal_code,
        options=[
            DebtPositionOption(
                iuv=option.iuv,
                notice_number=option.notice_number,
                amount_cents=to_cents(option.amount),
                due_date=option.due_date,
                description=(
                    f"{notice.causale[: pagopa.DESCRIPTION_MAX - 14]} - rata {option.instalment}/{count}"
                    if option.instalment
                    else notice.causale
                ),
                is_partial_payment=bool(option.instalment),
            )
            for option in options
        ],
    )


def _platform_error_record(notice_id: int, text: str) -> None:
    PaymentNotice.objects.filter(pk=notice_id, platform_state=PlatformState.NOT_SENT).update(platform_error=text[:300])


@transaction.atomic
def _platform_refusal_record(notice: PaymentNotice, text: str) -> None:
    """The platform refused the position: the office reads why on the notice and in its "refused" event."""
    if PaymentNotice.objects.filter(pk=notice.pk, platform_state=PlatformState.NOT_SENT).update(
        platform_error=text[:300]
    ):
        notice_event_record(
            notice=notice,
            action=PaymentNoticeEvent.Action.PLATFORM_REFUSED,
            actor_kind=PaymentNoticeEvent.ActorKind.PLATFORM,
            reason=text,
        )


def notice_publish(*, notice_id: int) -> str:
    """Create the notice's debt position on the platform, once; returns the platform state ("" = not there).

    Idempotent: a notice already on the platform, or no longer open, is left alone; a duplicate answer (409: an
    earlier attempt arrived) reads the position back. Raises GatewayUnavailableError (the beat job retries) or
    PlatformRejectedError (recorded in platform_error for the office; not retried).
    """
    notice = PaymentNotice.objects.select_related("payer", "creditor", "school_event").filter(pk=notice_id).first()
    if notice is None or notice.platform_state or notice.status != Status.ISSUED:
        return notice.platform_state if notice is not None else ""
    gateway = gateway_module.get_gateway()
    position = debt_position_of(notice, list(notice.options.all()))
    try:
        try:
            state = gateway.debt_position_create(position=position)
        except GatewayRejectedError as error:
            if error.status != 409:
                raise
            state = gateway.debt_position_status(iupd=notice.iupd)  # created by an earlier attempt
    except GatewayUnavailableError as error:
        _platform_error_record(notice_id, f"{PLATFORM_UNAVAILABLE}: {error}")
        raise
    except GatewayRejectedError as error:
        _platform_refusal_record(notice, f"{PLATFORM_REJECTED} ({error.status} {error.code}): {error}")
        logger.error("Notice %s refused by the platform: %s %s %s", notice_id, error.status, error.code, error)
        raise PlatformRejectedError(
            _("La piattaforma pagoPA ha rifiutato l'avviso «%(causale)s»: %(error)s")
            % {"causale": notice.causale, "error": error}
        ) from error
    mapped = GPD_STATE.get(str(state).upper(), PlatformState.VALID)
    with transaction.atomic():
        notice = PaymentNotice.objects.select_for_update().get(pk=notice_id)
        if not notice.platform_state:
            notice.platform_state = mapped
            notice.platform_error = ""
            notice.save(update_fields=["platform_state", "platform_error"])
            notice_event_record(
                notice=notice,
                action=PaymentNoticeEvent.Action.PUBLISHED,
                reason=f"Stato sulla piattaforma: {str(state).upper()}",
            )
        cancelled_meanwhile = notice.status == Status.CANCELLED and notice.platform_state == PlatformState.VALID
    if cancelled_meanwhile:  # cancelled here while the position was being created there: cancel it there too
        _invalidate_late(notice_id=notice_id, iupd=notice.iupd)
    return notice.platform_state


class NotRefusedError(PlatformRejectedError):
    """Only a notice the platform refused is sent again by hand (the others are retried by the beat job)."""


def notice_publish_retry(*, notice_id: int, actor: User | None) -> str:
    """The office fixed what the platform refused (a payer's CF, an IBAN, a taxonomy code): send the position again.

    Only for an open notice whose creation was refused; the refusal is cleared and the retry recorded (who, when),
    then it is published as any other. Returns the platform state ("" when refused again: the new reason is on the
    notice and in its history).
    """
    with transaction.atomic():
        notice = PaymentNotice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None or notice.status != Status.ISSUED or notice.platform_state:
            raise NotRefusedError(_("L'avviso non è in attesa di pubblicazione: non c'è nulla da inviare di nuovo."))
        if not notice.platform_error.startswith(PLATFORM_REJECTED):
            raise NotRefusedError(
                _("La piattaforma non ha rifiutato questo avviso: sarà inviato dal processo automatico.")
            )
        refusal = notice.platform_error
        notice.platform_error = ""
        notice.save(update_fields=["platform_error"])
        notice_event_record(
            notice=notice,
            action=PaymentNoticeEvent.Action.PLATFORM_RETRIED,
            actor=actor,
            reason=f"Era: {refusal}"[:300],
        )
    try:
        return notice_publish(notice_id=notice_id)
    except PlatformRejectedError:
        return ""


def _invalidate_late(*, notice_id: int, iupd: str) -> None:
    try:
        gateway_module.get_gateway().debt_position_invalidate(iupd=iupd)
    except (GatewayUnavailableError, GatewayRejectedError):
        logger.error("Notice %s was cancelled while being published and is still VALID on the platform", notice_id)
        PaymentNotice.objects.filter(pk=notice_id).update(
            platform_error="Annullato qui ma ancora valido sulla piattaforma: annullarlo di nuovo"
        )
        return
    PaymentNotice.objects.filter(pk=notice_id).update(platform_state=PlatformState.INVALID, platform_error="")


def notices_publish_pending(*, ids: list[int] | None = None, limit: int = 500, min_age_seconds: int = 30) -> int:
    """Publish open notices not yet on the platform (never those it refused); stops when the platform is down.

    Without `ids`, only notices older than `min_age_seconds` (the newest have a task of their own on the way).
    Returns how many were published by this call.
    """
    pending = PaymentNotice.objects.filter(status=Status.ISSUED, platform_state=PlatformState.NOT_SENT).exclude(
        platform_error__startswith=PLATFORM_REJECTED
    )
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    else:
        pending = pending.filter(created_at__lte=timezone.now() - datetime.timedelta(seconds=min_age_seconds))
    published = 0
    for notice_id in pending.order_by("pk").values_list("pk", flat=True)[:limit]:
        try:
            if notice_publish(notice_id=notice_id):
                published += 1
        except GatewayUnavailableError:
            logger.warning("pagoPA unavailable: publication of pending notices stops at notice %s", notice_id)
            break
        except PlatformRejectedError:
            continue
    return published
