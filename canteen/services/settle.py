"""Meals into money: for each child and day, what the ledger should say, and the entry that makes it so.

A meal is charged when the school reported the child present, the parent did not cancel the day and the office
granted no exception; the charge is the tariff frozen on the enrollment. The day's entries (reference starting
with the ISO date) are summed: when that sum differs from what it should be, one new entry closes the gap — a meal
debit, or a reversal (an adjustment with its reason). Nothing is edited: present → absent → present writes a
debit, a reversal and a second debit. Re-settling a day that is already right writes nothing.

The children's balance rows are locked first (in primary-key order, as `ledger_record_many` does), so that two
imports of the same file, run at once, see each other's entries and debit once.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from enrollment.models import Enrollment, ServiceKind
from payments.models import Balance, LedgerEntry
from payments.services import ledger_record_many

from ..models import Attendance, MealCancellation, MealException, MealType

Kind = LedgerEntry.Kind
DAY_KINDS = (Kind.MEAL, Kind.ADJUSTMENT)
DAY_REFERENCES = 20  # references read by equality per day and kind; beyond, by prefix


@dataclass
class SettleResult:
    debited: int = 0
    reversed: int = 0
    unchanged: int = 0
    child_ids: set[int] = field(default_factory=set)

    def add(self, other: "SettleResult") -> None:
        self.debited += other.debited
        self.reversed += other.reversed
        self.unchanged += other.unchanged
        self.child_ids |= other.child_ids


def balances_lock(child_ids: list[int]) -> None:
    """Create the children's canteen balance rows if missing, then lock them in primary-key order."""
    Balance.objects.bulk_create(
        [Balance(child_id=child_id, service_kind=ServiceKind.CANTEEN) for child_id in child_ids],
        ignore_conflicts=True,
        batch_size=1000,
    )
    for start in range(0, len(child_ids), 1000):
        chunk = child_ids[start : start + 1000]
        list(Balance.objects.select_for_update().filter(child_id__in=chunk).order_by("pk").values_list("pk"))


def _day_references(day: datetime.date) -> list[str]:
    """Every reference a day's entries can have: the first debit, later debits (#2…) and reversals (~1…)."""
    first = day.isoformat()
    return [first, *(f"{first}#{n}" for n in range(2, DAY_REFERENCES + 1))] + [
        f"{first}~{n}" for n in range(1, DAY_REFERENCES + 1)
    ]


def _day_entries(child_ids: list[int], day: datetime.date) -> dict[int, tuple[Decimal, int, int]]:
    """Per child: the day's sum, how many meal debits and how many adjustments it already has.

    Equality on the references (an IN list), not LIKE: the unique index (child, service, kind, reference) answers it
    in any collation, so a day's cost does not grow with the ledger. A day corrected more than DAY_REFERENCES times
    (never seen) is read again by prefix for that child, so the sum is always complete."""
    found: dict[int, list] = defaultdict(lambda: [Decimal(0), 0, 0])
    entries = LedgerEntry.objects.filter(service_kind=ServiceKind.CANTEEN, kind__in=DAY_KINDS)
    rows = entries.filter(child_id__in=child_ids, reference__in=_day_references(day)).values_list(
        "child_id", "kind", "amount"
    )
    for child_id, kind, amount in rows.iterator(chunk_size=2000):
        entry = found[child_id]
        entry[0] += amount
        entry[1 if kind == Kind.MEAL else 2] += 1
    crowded = [
        child_id for child_id, (_t, meals, adjustments) in found.items() if max(meals, adjustments) >= DAY_REFERENCES
    ]
    for child_id in crowded:
        found[child_id] = [Decimal(0), 0, 0]
        for kind, amount in entries.filter(child_id=child_id, reference__startswith=day.isoformat()).values_list(
            "kind", "amount"
        ):
            found[child_id][0] += amount
            found[child_id][1 if kind == Kind.MEAL else 2] += 1
    return {child_id: (total, meals, adjustments) for child_id, (total, meals, adjustments) in found.items()}


def _why_not_charged(*, attendance: tuple | None, cancelled: bool, exception: str | None) -> str:
    if exception is not None:
        return _("eccezione dell'ufficio: %(reason)s") % {"reason": exception}
    if cancelled:
        return _("pasto disdetto")
    if attendance is None:
        return _("presenza non registrata")
    return _("assente")


def _meal_reason(day: datetime.date, meal_type: str) -> str:
    return _("Pasto del %(day)s (%(type)s)") % {"day": f"{day:%d/%m/%Y}", "type": MealType(meal_type).label}


@transaction.atomic
def meals_settle(*, day: datetime.date, enrollment_ids: list[int], actor: User | None = None) -> SettleResult:
    """Bring the ledger of these canteen enrollments in line with what happened on `day` (see the module)."""
    result = SettleResult()
    enrollments = list(
        Enrollment.objects.filter(pk__in=enrollment_ids).only("pk", "child_id", "tariff_amount").order_by("pk")
    )
    if not enrollments:
        return result
    child_ids = sorted({enrollment.child_id for enrollment in enrollments})
    balances_lock(child_ids)
    existing = _day_entries(child_ids, day)
    ids = [enrollment.pk for enrollment in enrollments]
    attendance = {
        row[0]: row
        for row in Attendance.objects.filter(enrollment_id__in=ids, date=day).values_list(
            "enrollment_id", "present", "meal_type"
        )
    }
    cancelled = set(
        MealCancellation.objects.filter(
            enrollment_id__in=ids, date=day, kind=MealCancellation.Kind.CANCEL, withdrawn_at__isnull=True
        ).values_list("enrollment_id", flat=True)
    )
    exceptions = dict(
        MealException.objects.filter(enrollment_id__in=ids, date=day).values_list("enrollment_id", "reason")
    )
    entries: list[LedgerEntry] = []
    reference = day.isoformat()
    for enrollment in enrollments:
        price = enrollment.tariff_amount or Decimal(0)
        report = attendance.get(enrollment.pk)
        is_cancelled = enrollment.pk in cancelled
        exception = exceptions.get(enrollment.pk)
        charge = report is not None and report[1] and not is_cancelled and exception is None and price > 0
        total, meals, adjustments = existing.get(enrollment.child_id, (Decimal(0), 0, 0))
        gap = (-price if charge else Decimal(0)) - total
        if gap == 0:
            result.unchanged += 1
            continue
        result.child_ids.add(enrollment.child_id)
        if gap < 0:
            entries.append(
                LedgerEntry(
                    child_id=enrollment.child_id,
                    service_kind=ServiceKind.CANTEEN,
                    kind=Kind.MEAL,
                    amount=gap,
                    reference=reference if meals == 0 else f"{reference}#{meals + 1}",
                    reason=_meal_reason(day, report[2] if report else MealType.NORMAL),
                    created_by=actor,
                )
            )
            result.debited += 1
        else:
            why = _why_not_charged(attendance=report, cancelled=is_cancelled, exception=exception)
            entries.append(
                LedgerEntry(
                    child_id=enrollment.child_id,
                    service_kind=ServiceKind.CANTEEN,
                    kind=Kind.ADJUSTMENT,
                    amount=gap,
                    reference=f"{reference}~{adjustments + 1}",
                    reason=(_("Storno del pasto del %(day)s: %(why)s") % {"day": f"{day:%d/%m/%Y}", "why": why})[:200],
                    created_by=actor,
                )
            )
            result.reversed += 1
    ledger_record_many(entries=entries)
    return result
