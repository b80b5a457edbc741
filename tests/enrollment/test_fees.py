"""Accepting a transport enrollment issues its yearly fee notice (in instalments); the canteen issues none."""

from decimal import Decimal

import pytest

from enrollment import services
from payments.models import LedgerEntry, PaymentNotice
from payments.selectors import ledger_balance

from .factories import draft_ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def transport_submitted(parent, giulia, school_year, school, route, transport, transport_window, transport_plan):
    transport.instalments = 2
    transport.save(update_fields=["instalments"])
    draft = draft_ready(
        user=parent, child=giulia, service=transport, school_year=school_year, school=school, route=route
    )
    return services.enrollment_submit(enrollment=draft, user=parent, declarations=True)


def test_accepting_transport_issues_the_fee_in_instalments(transport_submitted, office, parent, giulia):
    accepted = services.enrollment_accept(enrollment=transport_submitted, actor=office)

    notice = PaymentNotice.objects.get(enrollment=accepted)
    assert notice.purpose == PaymentNotice.Purpose.FEE
    assert notice.amount == accepted.tariff_amount > 0
    assert notice.payer == parent
    assert "Trasporto scolastico" in notice.causale
    assert giulia.first_name in notice.causale
    options = list(notice.options.order_by("instalment"))
    assert [option.instalment for option in options] == [0, 1, 2]
    assert options[1].amount + options[2].amount == notice.amount
    # transport is billed by notice: the notice is the debt, the ledger (prepaid balances only) is not touched
    assert not LedgerEntry.objects.exists()
    assert ledger_balance(child=giulia, service_kind="transport") == 0


def test_accepting_twice_issues_one_notice(transport_submitted, office):
    services.enrollment_accept(enrollment=transport_submitted, actor=office)
    services.enrollment_accept(enrollment=transport_submitted, actor=office)
    assert PaymentNotice.objects.filter(enrollment=transport_submitted).count() == 1
    assert not LedgerEntry.objects.exists()


def test_bulk_acceptance_issues_the_fees(transport_submitted, office):
    assert services.enrollments_accept_bulk(enrollment_ids=[transport_submitted.pk], actor=office) == 1
    assert PaymentNotice.objects.filter(enrollment=transport_submitted, amount__gt=Decimal("0")).count() == 1


def test_accepting_canteen_issues_nothing(
    parent, giulia, canteen, school_year, school, school_class, open_windows, office
):
    draft = draft_ready(
        user=parent, child=giulia, service=canteen, school_year=school_year, school=school, school_class=school_class
    )
    submitted = services.enrollment_submit(enrollment=draft, user=parent, declarations=True)
    services.enrollment_accept(enrollment=submitted, actor=office)
    assert not PaymentNotice.objects.exists()
