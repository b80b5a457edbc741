"""Issue 10, item 1: the service's billing mode (ServiceKind.prepaid) decides, on every page that shows money, what a
family sees. Transport (billed by notice): its notice to pay, no balance line, no top-up link. Canteen (prepaid): its
balance, also at 0,00 € right after acceptance, and the top-up."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from enrollment import services
from enrollment.models import PREPAID_KINDS, ServiceKind
from payments import services as payment_services
from payments.models import LedgerEntry, PaymentNotice
from payments.selectors import balance_list_for_user, ledger_balance
from tests.payments.factories import receipt_pay

from .factories import draft_ready

pytestmark = pytest.mark.django_db

FAMILY = reverse("accounts:family")
NOTICES = reverse("payments:notices")
TOPUP = reverse("payments:topup")


def _accept(enrollment, office):
    return services.enrollment_accept(enrollment=enrollment, actor=office)


@pytest.fixture
def transport_accepted(
    parent, giulia, school_year, school, route, transport, transport_window, transport_plan, office
):
    draft = draft_ready(user=parent, child=giulia, service=transport, school_year=school_year, school=school)
    return _accept(services.enrollment_submit(enrollment=draft, user=parent, declarations=True), office)


@pytest.fixture
def canteen_accepted(parent, giulia, school_year, school, school_class, canteen, canteen_window, canteen_plan, office):
    draft = draft_ready(
        user=parent, child=giulia, service=canteen, school_year=school_year, school=school, school_class=school_class
    )
    return _accept(services.enrollment_submit(enrollment=draft, user=parent, declarations=True), office)


def _ledger_url(child) -> str:
    return reverse("payments:ledger", kwargs={"child_id": child.pk})


def test_the_billing_mode_is_decided_once():
    assert ServiceKind.CANTEEN.prepaid
    assert not ServiceKind.TRANSPORT.prepaid
    assert not ServiceKind.NURSERY.prepaid
    assert set(PREPAID_KINDS) == {"canteen"}


def test_accepted_transport_shows_its_notice_and_no_balance_on_every_page(
    parent_client, parent, giulia, transport_accepted
):
    notice = PaymentNotice.objects.get(enrollment=transport_accepted)
    amount = f"{notice.amount:.2f}".replace(".", ",")
    assert not LedgerEntry.objects.exists()

    payments_html = parent_client.get(NOTICES).content.decode()
    to_pay = payments_html.split('id="to-pay"', 1)[1]
    assert notice.causale in to_pay
    assert f"{amount}&nbsp;€" in to_pay
    credit = payments_html.split('id="balances"', 1)[1].split("</section>", 1)[0]
    assert "Trasporto scolastico" not in credit
    assert amount not in credit
    assert TOPUP not in payments_html  # no top-up for a service billed by notice

    family_html = parent_client.get(FAMILY).content.decode()
    balances = family_html.split('id="family-payments"', 1)[1].split("</section>", 1)[0]
    assert "Hai 1 avviso da pagare" in balances
    assert "Trasporto scolastico" not in balances
    assert TOPUP not in balances

    ledger_html = parent_client.get(_ledger_url(giulia)).content.decode()
    assert "Trasporto scolastico</span>" not in ledger_html
    assert TOPUP not in ledger_html
    assert balance_list_for_user(user=parent) == []


def test_accepted_canteen_shows_its_balance_at_zero_and_the_topup(parent_client, parent, giulia, canteen_accepted):
    assert not PaymentNotice.objects.exists()  # prepaid: nothing to pay until the family tops up
    [balance] = balance_list_for_user(user=parent)
    assert (balance.child_id, balance.service_kind, balance.amount) == (giulia.pk, "canteen", Decimal("0.00"))
    topup_link = f"{TOPUP}?child={giulia.pk}&amp;service=canteen"

    family_html = parent_client.get(FAMILY).content.decode()
    balances = family_html.split('id="family-payments"', 1)[1].split("</section>", 1)[0]
    assert "Refezione scolastica (mensa)" in balances
    assert "0,00&nbsp;€" in balances
    assert topup_link in balances

    payments_html = parent_client.get(NOTICES).content.decode()
    credit = payments_html.split('id="balances"', 1)[1].split("</section>", 1)[0]
    assert "Refezione scolastica (mensa)" in credit
    assert "0,00&nbsp;€" in credit
    assert topup_link in credit

    ledger_html = parent_client.get(_ledger_url(giulia)).content.decode()
    assert "Refezione scolastica (mensa)</span>" in ledger_html
    assert f"{TOPUP}?child={giulia.pk}&amp;service=canteen" in ledger_html


def test_both_services_show_the_canteen_balance_and_the_transport_notice(
    parent_client, parent, giulia, canteen_accepted, transport_accepted
):
    payments_html = parent_client.get(NOTICES).content.decode()
    credit = payments_html.split('id="balances"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r"service=(\w+)", credit) == ["canteen"]
    assert "Trasporto scolastico" not in credit
    assert "Trasporto scolastico" in payments_html.split('id="to-pay"', 1)[1]


def test_paying_a_transport_notice_leaves_the_ledger_alone(giulia, transport_accepted):
    notice = PaymentNotice.objects.get(enrollment=transport_accepted)
    _message, status = receipt_pay(notice.options.get(instalment=1))
    assert status == 200
    assert notice.receipts.count() == 1
    assert not LedgerEntry.objects.exists()
    assert ledger_balance(child=giulia, service_kind="transport") == 0


def test_cancelling_a_transport_notice_writes_no_adjustment(transport_accepted, office):
    notice = PaymentNotice.objects.get(enrollment=transport_accepted)
    payment_services.notice_cancel(notice_id=notice.pk, actor=office, reason="Iscrizione ritirata")
    assert not LedgerEntry.objects.exists()


def test_a_notice_debited_before_the_change_is_still_balanced_by_its_payment_and_cancellation(
    giulia, transport_accepted, office
):
    """Notices issued when every fee was debited (existing databases): their payment and their cancellation
    still balance the old debit, so that a transport balance left from then goes back to zero."""
    notice = PaymentNotice.objects.get(enrollment=transport_accepted)
    payment_services.ledger_record(
        child=giulia, service_kind="transport", kind="fee", amount=-notice.amount, notice=notice, reason="legacy"
    )
    assert ledger_balance(child=giulia, service_kind="transport") == -notice.amount
    receipt_pay(notice.options.get(instalment=0))
    assert ledger_balance(child=giulia, service_kind="transport") == 0
    assert LedgerEntry.objects.filter(notice=notice, kind="payment").count() == 1


def test_a_cancelled_notice_debited_before_the_change_has_its_debit_reversed(giulia, transport_accepted, office):
    notice = PaymentNotice.objects.get(enrollment=transport_accepted)
    payment_services.ledger_record(
        child=giulia, service_kind="transport", kind="fee", amount=-notice.amount, notice=notice, reason="legacy"
    )
    payment_services.notice_cancel(notice_id=notice.pk, actor=office, reason="Iscrizione ritirata")
    assert ledger_balance(child=giulia, service_kind="transport") == 0
