"""Two imports of the same file at the same moment (PostgreSQL, real threads and commits): one debit per child and
day, and every balance equal to the sum of its entries."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.db.models import Sum

from canteen import services
from payments.models import Balance, LedgerEntry
from tests.payments.test_concurrency import together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.USING_SERVICES, reason="needs PostgreSQL (row locks, real concurrency)"),
]

FILE = b"RSSGLI18C52H501V;02/12/2026;presente\nBNCLCU18A01H501F;02/12/2026;presente\n"


def test_the_same_file_imported_twice_at_once_debits_once(meal_enrollment, classmate_enrollment, rodari, now_at):
    now_at(2026, 12, 3, 15, 0, 0)
    batches = [
        services.attendance_preview(content=FILE, filename=f"{n}.csv", school=rodari, actor=None) for n in range(4)
    ]
    _results, errors = together(4, lambda index: services.attendance_apply(batch=batches[index], actor=None))
    assert errors == []
    amounts = sorted(LedgerEntry.objects.values_list("amount", flat=True))
    assert amounts == [Decimal("-4.50"), Decimal("-2.50")]
    for balance in Balance.objects.all():
        total = LedgerEntry.objects.filter(child_id=balance.child_id).aggregate(s=Sum("amount"))["s"]
        assert balance.amount == total
