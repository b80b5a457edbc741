"""Meals into the ledger: debits at the frozen tariff, re-imports that change nothing, corrections as new entries,
cancelled days never debited, the office's exception as a reversal; balance == sum of entries throughout."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum

from canteen import services
from canteen.models import Attendance, AttendanceBatch, MealCancellation
from enrollment.models import ServiceKind
from payments.models import Balance, LedgerEntry

D = datetime.date
DAY = D(2026, 12, 2)  # a Wednesday


def report(enrollment, day, present=True, meal_type="normal", actor=None):
    Attendance.objects.update_or_create(
        enrollment=enrollment, date=day, defaults={"present": present, "meal_type": meal_type}
    )
    return services.meals_settle(day=day, enrollment_ids=[enrollment.pk], actor=actor)


def balance(child) -> Decimal:
    row = Balance.objects.filter(child=child, service_kind=ServiceKind.CANTEEN).first()
    return row.amount if row else Decimal(0)


def assert_balance_is_the_sum(child):
    total = LedgerEntry.objects.filter(child=child, service_kind=ServiceKind.CANTEEN).aggregate(s=Sum("amount"))["s"]
    assert balance(child) == (total or Decimal(0))


@pytest.mark.django_db
def test_a_present_child_is_debited_the_frozen_tariff_once(meal_enrollment):
    child = meal_enrollment.child
    result = report(meal_enrollment, DAY)
    assert (result.debited, result.reversed) == (1, 0)
    entry = LedgerEntry.objects.get(child=child)
    assert entry.kind == LedgerEntry.Kind.MEAL
    assert entry.amount == Decimal("-4.50")
    assert entry.reference == "2026-12-02"
    assert entry.reason == "Pasto del 02/12/2026 (normale)"
    again = report(meal_enrollment, DAY)
    assert (again.debited, again.reversed, again.unchanged) == (0, 0, 1)
    assert LedgerEntry.objects.filter(child=child).count() == 1
    assert balance(child) == Decimal("-4.50")
    assert_balance_is_the_sum(child)


@pytest.mark.django_db
def test_corrections_are_new_entries_never_edits(meal_enrollment):
    child = meal_enrollment.child
    report(meal_enrollment, DAY, present=True)
    report(meal_enrollment, DAY, present=False)
    assert balance(child) == 0
    reversal = LedgerEntry.objects.get(child=child, kind=LedgerEntry.Kind.ADJUSTMENT)
    assert reversal.amount == Decimal("4.50")
    assert reversal.reason == "Storno del pasto del 02/12/2026: assente"
    report(meal_enrollment, DAY, present=True)
    amounts = list(LedgerEntry.objects.filter(child=child).order_by("pk").values_list("reference", "amount"))
    assert amounts == [
        ("2026-12-02", Decimal("-4.50")),
        ("2026-12-02~1", Decimal("4.50")),
        ("2026-12-02#2", Decimal("-4.50")),
    ]
    assert balance(child) == Decimal("-4.50")
    assert_balance_is_the_sum(child)


@pytest.mark.django_db
def test_an_absent_child_is_not_debited(meal_enrollment):
    result = report(meal_enrollment, DAY, present=False)
    assert result.unchanged == 1
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db
def test_a_cancelled_day_reported_present_is_not_debited_and_is_listed(meal_enrollment, parent):
    MealCancellation.objects.create(enrollment=meal_enrollment, date=DAY, created_by=parent)
    report(meal_enrollment, DAY, present=True)
    assert not LedgerEntry.objects.exists()
    from canteen.selectors import discrepancies

    listed = list(discrepancies(first=DAY, last=DAY))
    assert [row.enrollment_id for row in listed] == [meal_enrollment.pk]


@pytest.mark.django_db
def test_a_light_meal_is_charged_as_a_meal_with_its_type(meal_enrollment, parent):
    MealCancellation.objects.create(enrollment=meal_enrollment, date=DAY, created_by=parent, kind="light")
    report(meal_enrollment, DAY, present=True, meal_type="light")
    entry = LedgerEntry.objects.get()
    assert entry.amount == Decimal("-4.50")
    assert entry.reason == "Pasto del 02/12/2026 (pasto in bianco)"


@pytest.mark.django_db
def test_the_office_exception_reverses_a_debited_meal_with_its_reason(meal_enrollment, clerk):
    child = meal_enrollment.child
    report(meal_enrollment, DAY, present=True)
    services.meal_exception_grant(
        enrollment=meal_enrollment, day=DAY, reason="Rimandata a casa con la febbre", actor=clerk
    )
    reversal = LedgerEntry.objects.get(kind=LedgerEntry.Kind.ADJUSTMENT)
    assert reversal.amount == Decimal("4.50")
    assert reversal.reason == "Storno del pasto del 02/12/2026: eccezione dell'ufficio: Rimandata a casa con la febbre"
    assert balance(child) == 0
    report(meal_enrollment, DAY, present=True)  # the school sends the day again: still not charged
    assert balance(child) == 0
    assert_balance_is_the_sum(child)


@pytest.mark.django_db
def test_an_exception_needs_a_reason_and_a_service_day(meal_enrollment, clerk):
    from canteen.errors import CanteenError

    with pytest.raises(CanteenError, match="motivo"):
        services.meal_exception_grant(enrollment=meal_enrollment, day=DAY, reason="  ", actor=clerk)
    with pytest.raises(CanteenError, match="non è in servizio"):
        services.meal_exception_grant(enrollment=meal_enrollment, day=D(2026, 12, 8), reason="Sciopero", actor=clerk)
    assert not AttendanceBatch.objects.exists()


@pytest.mark.django_db
def test_a_day_corrected_many_times_still_sums_right(meal_enrollment):
    child = meal_enrollment.child
    for flip in range(45):  # beyond the references read by equality: the rest is read by prefix
        report(meal_enrollment, DAY, present=flip % 2 == 0)
    assert balance(child) == Decimal("-4.50")
    assert LedgerEntry.objects.filter(child=child, kind=LedgerEntry.Kind.MEAL).count() == 23
    assert_balance_is_the_sum(child)
    report(meal_enrollment, DAY, present=True)
    assert LedgerEntry.objects.filter(child=child).count() == 45
