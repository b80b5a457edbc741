"""Reads scoped to the family: another family's notice, receipt, cart or ledger is a 404; constant queries."""

import datetime
from decimal import Decimal

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Guardianship
from payments import selectors, services
from payments.errors import NotFoundError
from payments.gateway import ReturnUrls
from payments.models import PaymentNotice
from tests.payments.factories import child_make, delegate_add, notice_make, receipt_pay, single_option

pytestmark = pytest.mark.django_db

URLS = ReturnUrls(ok="http://t/ok", cancel="http://t/cancel", error="http://t/error", waiting="http://t/waiting")


@pytest.fixture
def other_child(other_parent):
    return child_make(adult=other_parent, first_name="Sofia", last_name="Bianchi")


def test_notice_list_for_user_sees_every_child_of_the_family_and_no_other(giulia, parent, other_parent, other_child):
    brother = child_make(adult=parent, first_name="Marco", last_name="Rossi")
    mine = {notice_make(child=giulia, payer=parent).pk, notice_make(child=brother, payer=parent).pk}
    theirs = notice_make(child=other_child, payer=other_parent)
    assert {n.pk for n in selectors.notice_list_for_user(user=parent)} == mine
    assert [n.pk for n in selectors.notice_list_for_user(user=other_parent)] == [theirs.pk]

    delegate_add(child=giulia, adult=other_parent)  # a delegate sees the child's notices, whoever the payer
    assert len(selectors.notice_list_for_user(user=other_parent)) == 2
    Guardianship.objects.filter(adult=other_parent, child=giulia).update(revoked_at=timezone.now())
    assert [n.pk for n in selectors.notice_list_for_user(user=other_parent)] == [theirs.pk]


def test_open_notices_count_is_the_familys_notices_still_to_pay(giulia, parent, other_parent, other_child):
    paid = notice_make(child=giulia, payer=parent)
    notice_make(child=giulia, payer=parent)
    notice_make(child=other_child, payer=other_parent)
    assert selectors.notices_open_count_for_user(user=parent) == 2
    receipt_pay(single_option(paid))
    assert selectors.notices_open_count_for_user(user=parent) == 1


def test_family_page_reminds_of_the_notices_to_pay(parent_client, giulia, parent):
    notice_make(child=giulia, payer=parent)
    assert "Hai 1 avviso da pagare" in parent_client.get(reverse("accounts:family")).content.decode()


def test_notices_come_open_first_by_due_date_then_paid(giulia, parent):
    later = notice_make(child=giulia, payer=parent, due_in_days=20)
    sooner = notice_make(child=giulia, payer=parent, due_in_days=5)
    paid = notice_make(child=giulia, payer=parent, due_in_days=1)
    receipt_pay(single_option(paid))
    cancelled = notice_make(child=giulia, payer=parent)
    services.notice_cancel(notice_id=cancelled.pk, actor=parent, reason="doppione")
    notices = selectors.notice_list_for_user(user=parent)
    assert [n.pk for n in notices] == [sooner.pk, later.pk, paid.pk, cancelled.pk]
    assert notices[2].receipt_pk is not None
    assert notices[0].receipt_pk is None


def test_notice_list_for_user_takes_two_queries_whatever_the_number(giulia, parent, django_assert_num_queries):
    brother = child_make(adult=parent, first_name="Marco", last_name="Rossi")
    for index in range(50):
        instalments = [("22.75", 10), ("22.75", 40)] if index % 5 == 0 else None
        notice_make(child=giulia if index % 2 else brother, payer=parent, instalments=instalments)
    with django_assert_num_queries(2):
        notices = selectors.notice_list_for_user(user=parent)
        names = {n.child.first_name for n in notices}
        options = sum(len(n.options.all()) for n in notices)
    assert len(notices) == 50
    assert names == {"Giulia", "Marco"}
    assert options == 70  # 40 single payments + 10 notices of 3 options


def test_notices_page_with_50_notices_takes_5_queries(parent_client, giulia, parent, django_assert_max_num_queries):
    for index in range(50):
        notice_make(child=giulia, payer=parent, due_in_days=index + 1)
    url = reverse("payments:notices")
    assert parent_client.get(url).status_code == 200  # warm-up: caches and session
    account_services.family_summary_invalidate(user_ids=[parent.pk])  # computed, as after a change
    with django_assert_max_num_queries(5):
        response = parent_client.get(url)
    assert response.status_code == 200
    with django_assert_max_num_queries(1):  # the family summary is cached now: the user only
        assert parent_client.get(url).status_code == 200


def test_one_notice_of_another_family_is_a_404(giulia, parent, other_parent, other_child):
    mine = notice_make(child=giulia, payer=parent)
    theirs = notice_make(child=other_child, payer=other_parent)
    assert selectors.notice_get_for_user(user=parent, pk=mine.pk) == mine
    for pk in (theirs.pk, "x", None, 0):
        with pytest.raises(Http404):
            selectors.notice_get_for_user(user=parent, pk=pk)


def test_receipts_for_parent_and_one_receipt(giulia, parent, other_parent, other_child):
    mine = notice_make(child=giulia, payer=parent)
    theirs = notice_make(child=other_child, payer=other_parent)
    receipt_pay(single_option(mine))
    receipt_pay(single_option(theirs))
    [receipt] = selectors.receipt_list_for_user(user=parent)
    assert receipt.notice == mine
    assert selectors.receipt_get_for_user(user=parent, pk=receipt.pk) == receipt
    [their_receipt] = selectors.receipt_list_for_user(user=other_parent)
    with pytest.raises(NotFoundError):
        selectors.receipt_get_for_user(user=parent, pk=their_receipt.pk)


def test_balances_and_ledger_for_user(giulia, parent, other_parent, other_child):
    receipt_pay(single_option(notice_make(child=giulia, payer=parent, amount="40.00")))
    services.ledger_meal_debit(child=giulia, day=datetime.date(2026, 10, 5), amount=Decimal("4.50"))
    services.ledger_record(child=other_child, service_kind="canteen", kind="topup", amount=Decimal("9"))
    [balance] = selectors.balance_list_for_user(user=parent)
    assert (balance.child, balance.service_kind, balance.amount) == (giulia, "canteen", Decimal("35.50"))
    assert selectors.ledger_balance(child=giulia, service_kind="canteen") == Decimal("35.50")
    assert selectors.ledger_balance(child=giulia, service_kind="nursery") == Decimal("0.00")

    page = selectors.ledger_get_for_user(user=parent, child_id=giulia.pk)
    assert page["child"] == giulia
    assert [e.kind for e in page["entries"]] == ["meal", "topup"]
    assert [b.amount for b in page["balances"]] == [Decimal("35.50")]
    assert (
        list(selectors.ledger_get_for_user(user=parent, child_id=giulia.pk, service_kind="nursery")["entries"]) == []
    )
    with pytest.raises(NotFoundError):
        selectors.ledger_get_for_user(user=parent, child_id=other_child.pk)


def test_cart_belongs_to_whoever_opened_it_and_is_settled_by_receipts(giulia, parent, other_parent):
    notices = [notice_make(child=giulia, payer=parent, amount=a) for a in ("10.00", "20.00")]
    cart = services.cart_open(user=parent, notice_ids=[n.pk for n in notices], return_urls=URLS)
    with pytest.raises(NotFoundError):
        selectors.cart_get_for_user(user=other_parent, public_id=cart.public_id)
    cart = selectors.cart_get_for_user(user=parent, public_id=cart.public_id)
    assert not selectors.cart_state_get(cart=cart).settled
    services.cart_return(user=parent, public_id=cart.public_id, outcome="ok")
    assert not selectors.cart_state_get(cart=cart).settled  # the browser's word is not a receipt
    receipt_pay(single_option(notices[0]))
    assert not selectors.cart_state_get(cart=cart).settled
    receipt_pay(single_option(notices[1]))
    assert selectors.cart_state_get(cart=selectors.cart_get_for_user(user=parent, public_id=cart.public_id)).settled


def test_daily_report_groups_by_service_and_psp_on_the_italian_day(giulia, parent):
    day = datetime.date(2026, 10, 5)
    rome = timezone.get_current_timezone()
    payments = [
        ("canteen", "PSP1", "Banca Uno", datetime.datetime(2026, 10, 5, 0, 10, tzinfo=rome), 150),
        ("canteen", "PSP1", "Banca Uno", datetime.datetime(2026, 10, 5, 23, 50, tzinfo=rome), 150),
        ("canteen", "PSP2", "Poste", datetime.datetime(2026, 10, 5, 12, 0, tzinfo=rome), 200),
        ("nursery", "PSP1", "Banca Uno", datetime.datetime(2026, 10, 5, 12, 0, tzinfo=rome), 0),
        ("canteen", "PSP1", "Banca Uno", datetime.datetime(2026, 10, 4, 23, 59, tzinfo=rome), 150),  # the day before
    ]
    for service, psp, name, when, fee in payments:
        notice = notice_make(child=giulia, payer=parent, service_kind=service, amount="10.00", causale="Prova")
        receipt_pay(single_option(notice), psp_id=psp, psp_name=name, paid_at=when, fee_cents=fee)
    report = selectors.receipts_daily_report(day=day)
    rows = [(r.service_kind, r.psp_id, r.psp_name, r.count, r.amount, r.fees) for r in report.rows]
    assert rows == [
        ("canteen", "PSP1", "Banca Uno", 2, Decimal("20.00"), Decimal("3.00")),
        ("canteen", "PSP2", "Poste", 1, Decimal("10.00"), Decimal("2.00")),
        ("nursery", "PSP1", "Banca Uno", 1, Decimal("10.00"), Decimal("0.00")),
    ]
    assert (report.count, report.amount, report.fees) == (4, Decimal("40.00"), Decimal("5.00"))
    assert PaymentNotice.objects.filter(status="paid").count() == 5
