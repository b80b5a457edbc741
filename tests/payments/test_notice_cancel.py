"""Cancelling a notice (on the platform first) and the daily expiry of overdue notices."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from mockpsp.models import DebtPosition as MockPosition
from payments import services
from payments.errors import (
    NotFoundError,
    NoticeDataError,
    PlatformUnavailableError,
)
from payments.models import LedgerEntry, PaymentNotice
from payments.selectors import ledger_balance
from portal.errors import TransitionNotAllowedError
from tests.payments.factories import (
    notice_make,
    platform_down,
    publish,
    receipt_pay,
    single_option,
)

pytestmark = pytest.mark.django_db

Status = PaymentNotice.Status


# --- cancel and expire -------------------------------------------------------------------------------------------


def test_cancel_invalidates_on_the_platform_and_reverses_the_fee(giulia, parent, staff_user):
    notice = publish(notice_make(child=giulia, payer=parent, purpose="fee", amount="80.00", causale="Retta nido"))
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("-80.00")
    cancelled = services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="Iscrizione ritirata")
    assert cancelled.status == Status.CANCELLED
    assert (cancelled.closed_by, cancelled.closed_reason) == (staff_user, "Iscrizione ritirata")
    assert cancelled.platform_state == "INVALID"
    assert MockPosition.objects.get(iupd=notice.iupd).status == "INVALID"
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("0.00")
    adjustment = LedgerEntry.objects.get(kind="adjustment")
    assert adjustment.amount == Decimal("80.00")
    assert "Iscrizione ritirata" in adjustment.reason
    # idempotent: nothing moves the second time
    services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="di nuovo")
    assert LedgerEntry.objects.count() == 2


def test_cancel_is_refused_while_the_platform_is_down(giulia, parent, staff_user):
    notice = publish(notice_make(child=giulia, payer=parent))
    with platform_down(), pytest.raises(PlatformUnavailableError):
        services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="errore")
    notice.refresh_from_db()
    assert notice.status == Status.ISSUED
    assert MockPosition.objects.get(iupd=notice.iupd).status == "VALID"


def test_a_never_published_notice_is_cancelled_locally(giulia, parent, staff_user):
    notice = notice_make(child=giulia, payer=parent)
    with platform_down():
        services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="doppione")
    notice.refresh_from_db()
    assert notice.status == Status.CANCELLED
    assert services.notice_publish(notice_id=notice.pk) == ""  # a late publication task does nothing
    assert not MockPosition.objects.exists()


def test_cancel_needs_a_reason_and_an_unpaid_notice(giulia, parent, staff_user):
    notice = notice_make(child=giulia, payer=parent)
    with pytest.raises(NoticeDataError):
        services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="  ")
    receipt_pay(single_option(notice))
    with pytest.raises(TransitionNotAllowedError):
        services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="errore")
    with pytest.raises(NotFoundError):
        services.notice_cancel(notice_id=0, actor=staff_user, reason="errore")


def test_expire_overdue_moves_only_open_notices_past_every_due_date(giulia, parent, time_machine):
    today = timezone.localdate()
    due_soon = notice_make(child=giulia, payer=parent, due_in_days=1)
    later = notice_make(child=giulia, payer=parent, due_in_days=10)
    instalments = notice_make(
        child=giulia, payer=parent, amount="20.00", due_in_days=1, instalments=[("10.00", 1), ("10.00", 60)]
    )
    paid = notice_make(child=giulia, payer=parent, due_in_days=1)
    receipt_pay(single_option(paid))
    assert services.notices_expire_overdue(today=today + datetime.timedelta(days=1)) == 0
    assert services.notices_expire_overdue(today=today + datetime.timedelta(days=2)) == 1
    statuses = dict(PaymentNotice.objects.values_list("pk", "status"))
    assert statuses == {due_soon.pk: "expired", later.pk: "issued", instalments.pk: "issued", paid.pk: "paid"}
    assert services.notices_expire_overdue(today=today + datetime.timedelta(days=61)) == 2


def test_an_expired_position_is_not_invalidable_and_the_notice_is_still_cancelled_here(giulia, parent, staff_user):
    """GPD invalidates only PUBLISHED or VALID positions (the fake too); an EXPIRED one takes no payment, so the
    office's cancellation goes through here (issue 12, point 5)."""
    from payments.gateway import GatewayRejectedError, get_gateway

    notice = publish(notice_make(child=giulia, payer=parent))
    MockPosition.objects.filter(iupd=notice.iupd).update(status="EXPIRED")
    with pytest.raises(GatewayRejectedError) as refused:
        get_gateway().debt_position_invalidate(iupd=notice.iupd)
    assert refused.value.status == 409

    cancelled = services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="Scaduto e non dovuto")

    assert cancelled.status == Status.CANCELLED
    assert MockPosition.objects.get(iupd=notice.iupd).status == "EXPIRED"
