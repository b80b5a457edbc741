"""Concurrency on PostgreSQL, with real threads and real commits: duplicates credit once, numbers never repeat,
a balance never loses an update."""

import datetime
import threading
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection

from payments import services
from payments.models import Balance, LedgerEntry, PaymentNotice, Receipt, ReceiptMessage
from payments.selectors import ledger_balance
from portal import tasks as portal_tasks
from portal.models import OutboxEmail
from tests.payments.factories import notice_make, receipt_body, receipt_post, single_option

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.USING_SERVICES, reason="needs PostgreSQL (row locks, real concurrency)"),
]


def together(count: int, function) -> tuple[list, list]:
    """Run `function(index)` in `count` threads released at the same moment; returns (results, errors)."""
    barrier = threading.Barrier(count)
    results, errors = [], []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            result = function(index)
            with lock:
                results.append(result)
        except Exception as error:  # collected and asserted on by the test
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.fixture
def no_delivery():
    """The outbox rows are what is counted; their delivery (a PDF each) is not this test's business."""
    with (
        mock.patch.object(portal_tasks.email_send_task, "delay"),
        mock.patch("payments.services.positions.notice_publish_enqueue"),
    ):
        yield


def test_twenty_concurrent_copies_of_a_receipt_credit_once_and_send_one_email(giulia, parent, no_delivery):
    notice = notice_make(child=giulia, payer=parent, amount="45.50")
    body = receipt_body(option=single_option(notice))

    results, errors = together(20, lambda _index: receipt_post(body))

    assert errors == []
    assert sorted(status for _message, status in results) == [200] * 20
    outcomes = sorted(message.outcome for message, _status in results)
    assert outcomes == ["accepted"] + ["duplicate"] * 19
    assert Receipt.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert OutboxEmail.objects.count() == 1
    assert ReceiptMessage.objects.count() == 20
    assert Balance.objects.get(child=giulia, service_kind="canteen").amount == Decimal("45.50")
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("45.50")
    notice.refresh_from_db()
    assert notice.status == PaymentNotice.Status.PAID


def test_instalments_paid_at_the_same_moment_are_all_credited_and_pay_the_notice_once(giulia, parent, no_delivery):
    notice = notice_make(
        child=giulia,
        payer=parent,
        purpose="fee",
        amount="400.00",
        causale="Trasporto a.s. 2026/2027",
        instalments=[("100.00", 10), ("100.00", 40), ("100.00", 70), ("100.00", 100)],
    )
    rates = list(notice.options.filter(instalment__gt=0).order_by("instalment"))

    results, errors = together(4, lambda index: receipt_post(receipt_body(option=rates[index])))

    assert errors == []
    assert sorted(message.outcome for message, _status in results) == ["accepted"] * 4
    notice.refresh_from_db()
    assert (notice.status, notice.flagged) == (PaymentNotice.Status.PAID, False)
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("0.00")
    assert Balance.objects.get(child=giulia, service_kind="canteen").amount == Decimal("0.00")


def test_numbers_never_repeat_balances_never_lose_an_update_meals_are_debited_once(giulia):
    """Three races in one test (each transactional test pays for a database flush)."""
    results, errors = together(10, lambda _index: services.iuv_allocate(count=50))
    assert errors == []
    numbers = [number for pairs in results for _iuv, number in pairs]
    assert len(numbers) == len(set(numbers)) == 500

    results, errors = together(
        20,
        lambda index: services.ledger_record(
            child=giulia, service_kind="nursery", kind="topup", amount=Decimal(index + 1)
        ),
    )
    assert errors == []
    assert len(results) == 20
    expected = Decimal(sum(range(1, 21)))
    assert Balance.objects.get(child=giulia, service_kind="nursery").amount == expected
    assert ledger_balance(child=giulia, service_kind="nursery") == expected

    day = datetime.date(2026, 10, 5)
    results, errors = together(
        10, lambda _index: services.ledger_meal_debit(child=giulia, day=day, amount=Decimal("4.50"))
    )
    assert errors == []
    assert len({entry.pk for entry in results}) == 1
    assert Balance.objects.get(child=giulia, service_kind="canteen").amount == Decimal("-4.50")
