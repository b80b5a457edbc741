"""Scenarios of the payments services that change the family page or the payments page (see scenarios_family)."""

import datetime
from decimal import Decimal

from django.utils import timezone

from enrollment.models import ServiceKind
from payments import services as payment_services
from payments.models import PaymentNotice
from tests.enrollment.factories import (
    SchoolFactory,
    ServiceFactory,
    enrollment_make,
    plan_with_bands,
)
from tests.mockpsp.helpers import pay_notices_at_fake, set_behaviour
from tests.payments.factories import receipt_pay, single_option
from tests.payments.station_helpers import station_pay

from .helpers import FAMILY, PAYMENTS, Status, badge, came, no_setup, topup


def _topup(w, _):
    topup(w)


def _notice_issue_fee(w, _):
    payment_services.notice_issue(
        child=w.child,
        service_kind=ServiceKind.CANTEEN,
        purpose=PaymentNotice.Purpose.FEE,
        amount=Decimal("30.00"),
        causale="Quota mensa settembre",
        due_date=timezone.localdate() + datetime.timedelta(days=30),
        payer=w.parent,
    )


def _notices_issue_bulk(w, _):
    payment_services.notices_issue_bulk(
        specs=[
            {
                "child": w.child,
                "service_kind": ServiceKind.CANTEEN,
                "purpose": PaymentNotice.Purpose.FEE,
                "amount": Decimal("30.00"),
                "causale": "Quota mensa settembre",
                "due_date": timezone.localdate() + datetime.timedelta(days=30),
                "payer": w.parent,
            }
        ]
    )


def _notice_issue_oneoff(w, _):
    payment_services.notice_issue_oneoff(
        child=w.child,
        payer=None,  # the child's adult of reference
        service_kind=ServiceKind.TRANSPORT,
        amount="12,50",
        causale="Duplicato tessera trasporto",
        due_date=timezone.localdate() + datetime.timedelta(days=30),
        actor=w.office,
    )


def _transport_fee_setup(w):
    transport = ServiceFactory(kind=ServiceKind.TRANSPORT, schools=[w.school])
    plan_with_bands(service=transport, school_year=w.year, bands=[("0", None, "150.00")])
    return enrollment_make(
        child=w.child,
        service=transport,
        school_year=w.year,
        created_by=w.parent,
        status=Status.ACCEPTED,
        tariff_amount=Decimal("150.00"),
    )


def _transport_fees_issue(w, row):
    payment_services.transport_fees_issue(enrollment_ids=[row.pk], actor=w.office)


def _nursery_fee_setup(w):
    nido = SchoolFactory(name="Nido Girasoli", kind="nido")
    nursery = ServiceFactory(kind=ServiceKind.NURSERY, schools=[nido])
    return enrollment_make(
        child=w.child,
        service=nursery,
        school_year=w.year,
        created_by=w.parent,
        status=Status.ACCEPTED,
        tariff_amount=Decimal("180.00"),
    )


def _nursery_fees_issue(w, _):
    payment_services.nursery_fees_issue(month=w.year.starts_on, actor=w.office)


def _notice_setup(w):
    return topup(w, "25.00")


def _notice_cancel(w, notice):
    payment_services.notice_cancel(notice_id=notice.pk, actor=w.office, reason="Emesso per errore")


def _expire_setup(w):
    notice = topup(w, "25.00")
    return notice


def _expire(w, notice):
    payment_services.notices_expire_overdue(today=notice.due_date + datetime.timedelta(days=1))


def _receipt(w, notice):
    assert receipt_pay(single_option(notice))[1] == 200


def _station_receipt(w, notice):
    answer = station_pay(single_option(notice))
    assert b"<outcome>OK</outcome>" in answer.body


def _pulled_receipt(w, notice):
    payment_services.notice_publish(notice_id=notice.pk)
    set_behaviour(lose_pushes=True)
    pay_notices_at_fake(None, [single_option(notice).notice_number])
    assert payment_services.receipts_pull().accepted == 1


def _swept_receipt(w, notice):
    payment_services.notice_publish(notice_id=notice.pk)
    set_behaviour(lose_pushes=True)
    pay_notices_at_fake(None, [single_option(notice).notice_number])
    later = timezone.now() + datetime.timedelta(hours=7)
    assert payment_services.positions_sweep(now=later).pull.accepted == 1


def _ledger_adjust(w, _):
    payment_services.ledger_adjust(
        child=w.child, service_kind=ServiceKind.CANTEEN, amount=Decimal("7.00"), reason="Rimborso gita", actor=w.office
    )


def _ledger_refund_setup(w):
    payment_services.ledger_adjust(
        child=w.child, service_kind=ServiceKind.CANTEEN, amount=Decimal("20.00"), reason="Credito", actor=w.office
    )


def _ledger_refund(w, _):
    payment_services.ledger_refund(
        child=w.child, service_kind=ServiceKind.CANTEEN, amount=Decimal("5.00"), reason="Rimborso", actor=w.office
    )


def _meal_debit(w, _):
    payment_services.ledger_meal_debit(child=w.child, day=timezone.localdate(), amount=Decimal("4.50"))


SERVICES_SHOWN = {
    "topup_create (notice_issue)": (PAYMENTS, no_setup, _topup, came("20,00")),
    "topup_create: the family page's count": (FAMILY, no_setup, _topup, came("Hai 1 avviso da pagare")),
    "notice_issue (fee: ledger_record_many)": (FAMILY, no_setup, _notice_issue_fee, came("-30,00")),
    "notices_issue_bulk": (PAYMENTS, no_setup, _notices_issue_bulk, came("Quota mensa settembre")),
    "notice_issue_oneoff (notice_issue)": (PAYMENTS, no_setup, _notice_issue_oneoff, came("Duplicato tessera")),
    "transport_fees_issue": (PAYMENTS, _transport_fee_setup, _transport_fees_issue, came("150,00")),
    "nursery_fees_issue": (PAYMENTS, _nursery_fee_setup, _nursery_fees_issue, came("180,00")),
    "notice_cancel": (PAYMENTS, _notice_setup, _notice_cancel, came("annullato")),
    "notices_expire_overdue": (PAYMENTS, _expire_setup, _expire, came(badge("scaduto"))),
    "receipt_intake": (PAYMENTS, _notice_setup, _receipt, came(badge("pagato"))),
    "receipt_intake: the family page's balance": (FAMILY, _notice_setup, _receipt, came("25,00")),
    "station_receipt_intake (receipt_accept)": (PAYMENTS, _notice_setup, _station_receipt, came(badge("pagato"))),
    "receipt_accept: paSendRTV2, the balance": (FAMILY, _notice_setup, _station_receipt, came("25,00")),
    "receipts_pull": (PAYMENTS, _notice_setup, _pulled_receipt, came(badge("pagato"))),
    "positions_sweep": (PAYMENTS, _notice_setup, _swept_receipt, came(badge("pagato"))),
    "ledger_adjust": (FAMILY, no_setup, _ledger_adjust, came("7,00")),
    "ledger_refund": (PAYMENTS, _ledger_refund_setup, _ledger_refund, came("15,00")),
    "ledger_meal_debit": (FAMILY, no_setup, _meal_debit, came("-4,50")),
}
