"""The ledger: append-only, balance == sum of entries after any sequence of operations, signs kept."""

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payments import services
from payments.errors import AmountError, LedgerError
from payments.models import Balance, LedgerEntry
from payments.selectors import ledger_balance
from tests.payments.factories import child_make

pytestmark = pytest.mark.django_db

SERVICES = ["canteen", "transport", "nursery"]
cents = st.integers(min_value=1, max_value=5_000_000).map(lambda c: Decimal(c) / 100)
operations = st.lists(
    st.tuples(
        st.sampled_from(["topup", "payment", "meal", "fee", "refund", "adjust_up", "adjust_down"]),
        st.sampled_from(SERVICES),
        cents,
        st.integers(min_value=0, max_value=5),  # the meal's day: few days, so that some meals repeat
    ),
    min_size=1,
    max_size=25,
)


def apply(child, operation) -> tuple[str, Decimal]:
    """Run one ledger operation; returns which balance should move, and by how much."""
    name, service, amount, day = operation
    when = datetime.date(2026, 10, 1) + datetime.timedelta(days=day)
    if name in ("topup", "payment"):
        services.ledger_record(child=child, service_kind=service, kind=name, amount=amount)
        return service, amount
    if name == "fee":
        services.ledger_record(child=child, service_kind=service, kind="fee", amount=-amount)
        return service, -amount
    if name == "refund":
        services.ledger_refund(child=child, service_kind=service, amount=amount, reason="rimborso", actor=None)
        return service, -amount
    if name in ("adjust_up", "adjust_down"):
        signed = amount if name == "adjust_up" else -amount
        services.ledger_adjust(child=child, service_kind=service, amount=signed, reason="correzione", actor=None)
        return service, signed
    # a meal (always the canteen): once per child and day, whatever the price passed the second time
    already = LedgerEntry.objects.filter(child=child, kind="meal", reference=when.isoformat()).exists()
    services.ledger_meal_debit(child=child, day=when, amount=amount)
    return "canteen", Decimal(0) if already else -amount


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=operations)
def test_balance_is_always_the_sum_of_the_entries(parent, sequence):
    with transaction.atomic():
        child = child_make(adult=parent)
        expected = dict.fromkeys(SERVICES, Decimal("0.00"))
        for operation in sequence:
            service, movement = apply(child, operation)
            expected[service] += movement
        for service in SERVICES:
            cached = Balance.objects.filter(child=child, service_kind=service).values_list("amount", flat=True).first()
            assert ledger_balance(child=child, service_kind=service) == expected[service]
            assert (cached if cached is not None else Decimal("0.00")) == expected[service]
        transaction.set_rollback(True)  # each example starts from an empty ledger


@pytest.mark.parametrize(
    ("kind", "amount"),
    [("topup", "-1.00"), ("payment", "-1.00"), ("meal", "4.50"), ("fee", "10.00"), ("refund", "3.00")],
)
def test_each_kind_keeps_its_sign(giulia, kind, amount):
    with pytest.raises(AmountError):
        services.ledger_record(child=giulia, service_kind="canteen", kind=kind, amount=Decimal(amount))
    assert not LedgerEntry.objects.exists()
    assert not Balance.objects.exists()


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("1.001"), 1.5, "abc", Decimal("NaN")])
def test_zero_three_decimals_floats_and_junk_are_refused(giulia, amount):
    with pytest.raises(AmountError):
        services.ledger_adjust(child=giulia, service_kind="canteen", amount=amount, reason="x", actor=None)
    assert not LedgerEntry.objects.exists()


def test_an_adjustment_needs_a_reason_and_a_known_service(giulia):
    with pytest.raises(LedgerError):
        services.ledger_adjust(child=giulia, service_kind="canteen", amount=Decimal("5"), reason=" ", actor=None)
    with pytest.raises(LedgerError):
        services.ledger_record(child=giulia, service_kind="canteen", kind="adjustment", amount=Decimal("5"))
    with pytest.raises(LedgerError):
        services.ledger_record(child=giulia, service_kind="gym", kind="topup", amount=Decimal("5"))
    assert not LedgerEntry.objects.exists()


def test_meal_debit_is_once_per_day_and_free_meals_write_nothing(giulia):
    day = datetime.date(2026, 10, 5)
    first = services.ledger_meal_debit(child=giulia, day=day, amount=Decimal("4.50"))
    again = services.ledger_meal_debit(child=giulia, day=day, amount=Decimal("4.50"))
    assert first == again
    assert (first.kind, first.amount, first.reference) == ("meal", Decimal("-4.50"), "2026-10-05")
    assert services.ledger_meal_debit(child=giulia, day=day + datetime.timedelta(days=1), amount=Decimal("0")) is None
    with pytest.raises(AmountError):
        services.ledger_meal_debit(child=giulia, day=day, amount=Decimal("-4.50"))
    assert LedgerEntry.objects.count() == 1
    assert Balance.objects.get(child=giulia, service_kind="canteen").amount == Decimal("-4.50")


def test_entries_cannot_be_edited_or_deleted_through_the_orm(giulia):
    entry = services.ledger_record(child=giulia, service_kind="canteen", kind="topup", amount=Decimal("20"))
    entry.amount = Decimal("2000")
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("2000"))
    with pytest.raises(TypeError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.amount == Decimal("20.00")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_entries_cannot_be_edited_or_deleted_even_with_raw_sql(giulia):
    entry = services.ledger_record(child=giulia, service_kind="canteen", kind="topup", amount=Decimal("20"))
    for statement in (
        "UPDATE payments_ledgerentry SET amount = 2000 WHERE id = %s",
        "DELETE FROM payments_ledgerentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [entry.pk])
    entry.refresh_from_db()
    assert entry.amount == Decimal("20.00")


def test_a_correction_is_a_new_entry(giulia, parent):
    services.ledger_record(child=giulia, service_kind="canteen", kind="topup", amount=Decimal("20"))
    services.ledger_adjust(
        child=giulia, service_kind="canteen", amount=Decimal("-5.00"), reason="doppia ricarica", actor=parent
    )
    assert list(LedgerEntry.objects.order_by("pk").values_list("kind", "amount", "created_by")) == [
        ("topup", Decimal("20.00"), None),
        ("adjustment", Decimal("-5.00"), parent.pk),
    ]
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("15.00")
    assert Balance.objects.get(child=giulia, service_kind="canteen").amount == Decimal("15.00")


def test_bulk_entries_move_every_balance_once(parent):
    children = [child_make(adult=parent) for _n in range(3)]
    entries = [
        LedgerEntry(child_id=child.pk, service_kind=service, kind="fee", amount=Decimal("-10.00"))
        for child in children
        for service in ("canteen", "nursery", "nursery")
    ]
    services.ledger_record_many(entries=entries)
    for child in children:
        assert Balance.objects.get(child=child, service_kind="nursery").amount == Decimal("-20.00")
        assert ledger_balance(child=child, service_kind="canteen") == Decimal("-10.00")
    with pytest.raises(LedgerError):
        services.ledger_record_many(entries=[entries[0]])  # already saved
