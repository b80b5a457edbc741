"""The office's canteen reports (reads): meals served per school, day and meal type in a month — what the catering
contractor invoices — with the families' cancellations and the corrections; families in arrears by school; top-ups
and meal debits per day. Each is rows for a page and the same rows for a `;` CSV, streamed."""

import calendar as month_calendar
import datetime
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from enrollment.models import ServiceKind
from payments.models import Balance, LedgerEntry

from .models import Attendance, AttendanceBatch, BalanceAlert, MealCancellation, MealType
from .selectors import canteen_enrollments, portal_zone

MEALS_HEADER = [
    "giorno",
    "scuola",
    "tipo_pasto",
    "pasti_serviti",
    "disdetti",
    "presenti_ma_disdetti",
    "corretti_a_mano",
]
ARREARS_HEADER = ["scuola", "cognome", "nome", "codice_fiscale", "saldo", "negativo_dal", "sollecito_inviato_il"]
MONEY_HEADER = [
    "giorno",
    "ricariche",
    "importo_ricariche",
    "pasti_addebitati",
    "importo_pasti",
    "storni",
    "importo_storni",
]


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = month.replace(day=1)
    return first, first.replace(day=month_calendar.monthrange(first.year, first.month)[1])


def meals_served(*, month: datetime.date, school_id: int | None = None) -> list[dict]:
    """Per day, school and meal type: meals served (reported present), cancelled, present-but-cancelled, by hand."""
    first, last = month_bounds(month)
    attendances = Attendance.objects.filter(date__range=(first, last), present=True)
    cancellations = MealCancellation.objects.filter(
        date__range=(first, last), withdrawn_at__isnull=True, kind=MealCancellation.Kind.CANCEL
    )
    if school_id is not None:
        attendances = attendances.filter(enrollment__school_id=school_id)
        cancellations = cancellations.filter(enrollment__school_id=school_id)
    rows: dict[tuple, dict] = {}

    def row(day, school, meal_type) -> dict:
        key = (day, school, meal_type)
        if key not in rows:
            rows[key] = {
                "day": day,
                "school": school,
                "meal_type": MealType(meal_type).label,
                "served": 0,
                "cancelled": 0,
                "conflicts": 0,
                "by_hand": 0,
            }
        return rows[key]

    cancelled_pairs = set(cancellations.values_list("enrollment_id", "date"))
    served = attendances.values_list("date", "enrollment__school__name", "meal_type", "enrollment_id", "batch__source")
    for day, school, meal_type, enrollment_id, source in served.iterator(chunk_size=5000):
        entry = row(day, school, meal_type)
        if (enrollment_id, day) in cancelled_pairs:
            entry["conflicts"] += 1
            continue
        entry["served"] += 1
        entry["by_hand"] += source == AttendanceBatch.Source.OFFICE
    cancelled = cancellations.values_list("date", "enrollment__school__name").annotate(n=Count("pk")).order_by()
    for day, school, n in cancelled:
        row(day, school, MealType.NORMAL)["cancelled"] += n
    return [rows[key] for key in sorted(rows, key=lambda key: (key[0], key[1], key[2]))]


def meals_served_csv_rows(rows: list[dict]) -> Iterator[tuple]:
    for row in rows:
        yield (
            row["day"],
            row["school"],
            row["meal_type"],
            row["served"],
            row["cancelled"],
            row["conflicts"],
            row["by_hand"],
        )


def arrears_by_school() -> list[dict]:
    """Children of a current canteen enrollment whose balance is below zero, by school then name."""
    negative = dict(
        Balance.objects.filter(service_kind=ServiceKind.CANTEEN, amount__lt=0).values_list("child_id", "amount")
    )
    alerts = {
        alert.child_id: alert
        for alert in BalanceAlert.objects.filter(
            child_id__in=list(negative), kind=BalanceAlert.Kind.ARREARS, cleared_at__isnull=True
        )
    }
    enrollments = (
        canteen_enrollments()
        .filter(child_id__in=list(negative))
        .select_related("child", "school", "school_year")
        .order_by("school__name", "child__last_name", "child__first_name", "-school_year__starts_on")
    )
    seen: set[int] = set()
    rows = []
    for enrollment in enrollments:
        if enrollment.child_id in seen:
            continue
        seen.add(enrollment.child_id)
        alert = alerts.get(enrollment.child_id)
        rows.append(
            {
                "school": enrollment.school.name if enrollment.school else "",
                "child": enrollment.child,
                "balance": negative[enrollment.child_id],
                "since": alert.since if alert else None,
                "sent_at": alert.sent_at if alert else None,
            }
        )
    return rows


def arrears_csv_rows(rows: list[dict]) -> Iterator[tuple]:
    for row in rows:
        child = row["child"]
        yield (
            row["school"],
            child.last_name,
            child.first_name,
            child.codice_fiscale,
            row["balance"],
            row["since"],
            row["sent_at"],
        )


def money_per_day(*, month: datetime.date) -> list[dict]:
    """Per day of the month: top-ups, meal debits and meal reversals on the canteen balances (count and euro)."""
    first, last = month_bounds(month)
    entries = (
        LedgerEntry.objects.filter(
            service_kind=ServiceKind.CANTEEN,
            created_at__date__range=(first, last),
        )
        .annotate(day=TruncDate("created_at", tzinfo=portal_zone()))
        .values("day")
        .annotate(
            topups=Count("pk", filter=Q(kind=LedgerEntry.Kind.TOPUP)),
            topup_sum=Sum("amount", filter=Q(kind=LedgerEntry.Kind.TOPUP)),
            meals=Count("pk", filter=Q(kind=LedgerEntry.Kind.MEAL)),
            meal_sum=Sum("amount", filter=Q(kind=LedgerEntry.Kind.MEAL)),
            reversals=Count("pk", filter=Q(kind=LedgerEntry.Kind.ADJUSTMENT, reference__contains="~")),
            reversal_sum=Sum("amount", filter=Q(kind=LedgerEntry.Kind.ADJUSTMENT, reference__contains="~")),
        )
        .order_by("day")
    )
    totals: dict[str, Decimal | int] = defaultdict(int)
    rows = []
    for entry in entries:
        row = {key: entry[key] or (Decimal(0) if key.endswith("_sum") else 0) for key in entry}
        rows.append(row)
        for key, value in row.items():
            if key != "day":
                totals[key] += value
    return rows + ([{"day": None, **totals}] if rows else [])


def money_csv_rows(rows: list[dict]) -> Iterator[tuple]:
    for row in rows:
        yield (
            row["day"] or "totale",
            row["topups"],
            row["topup_sum"],
            row["meals"],
            row["meal_sum"],
            row["reversals"],
            row["reversal_sum"],
        )
