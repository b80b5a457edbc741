"""The parent's meals page, read in a fixed number of queries: a month's calendar (what happened each day), the
balance now and its history over the school year (a server-rendered SVG chart), the entries with their running
balance, and the same entries as a `;` CSV and a PDF statement."""

import calendar as month_calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Child, User
from accounts.selectors import child_get_for_user
from enrollment.models import Enrollment, ServiceKind
from payments.models import Balance, LedgerEntry

from .models import Attendance, MealCancellation, MealException
from .selectors import ServiceDays, canteen_enrollments, cutoff_of, policy_of, today_local

CHART_WIDTH = 640
CHART_HEIGHT = 180
CHART_PAD = 36


@dataclass
class Day:
    date: datetime.date
    in_month: bool = True
    status: str = ""  # served, absent, cancelled, light, exception, closed, weekend, expected, pending, outside
    label: str = ""
    amount: Decimal | None = None
    cancellable: bool = False
    note: str = ""


@dataclass
class Line:
    entry: LedgerEntry
    running: Decimal


@dataclass
class MealsPage:
    child: Child
    enrollment: Enrollment | None
    month: datetime.date
    weeks: list[list[Day]] = field(default_factory=list)
    balance: Decimal = Decimal(0)
    lines: list[Line] = field(default_factory=list)
    chart: dict = field(default_factory=dict)
    previous_month: datetime.date | None = None
    next_month: datetime.date | None = None
    cutoff: datetime.time | None = None
    counts: dict = field(default_factory=dict)


STATUS_LABELS = {
    "served": _("pasto consumato"),
    "absent": _("assente"),
    "cancelled": _("disdetto"),
    "light": _("pasto in bianco"),
    "exception": _("non addebitato"),
    "closed": _("mensa chiusa"),
    "weekend": "",
    "expected": _("pasto previsto"),
    "pending": _("in attesa della scuola"),
    "outside": "",
}


def month_parse(text: str | None, *, default: datetime.date) -> datetime.date:
    try:
        year, month = (int(part) for part in (text or "").split("-", 1))
        return datetime.date(year, month, 1)
    except ValueError:
        return default.replace(day=1)


def _enrollment_for(child: Child, today: datetime.date) -> Enrollment | None:
    """The child's canteen enrollment for this school year, else the most recent one."""
    rows = list(
        canteen_enrollments()
        .filter(child=child)
        .select_related("school", "school_year")
        .order_by("-school_year__starts_on")
    )
    current = next((e for e in rows if e.school_year.starts_on <= today <= e.school_year.ends_on), None)
    return current or (rows[0] if rows else None)


def _day_totals(child: Child, first: datetime.date, last: datetime.date) -> dict[datetime.date, Decimal]:
    """Per day: the sum of the day's meal entries (debits and their reversals)."""
    totals: dict[datetime.date, Decimal] = defaultdict(Decimal)
    rows = LedgerEntry.objects.filter(
        child=child,
        service_kind=ServiceKind.CANTEEN,
        kind__in=(LedgerEntry.Kind.MEAL, LedgerEntry.Kind.ADJUSTMENT),
        reference__gte=first.isoformat(),
        reference__lt=(last + datetime.timedelta(days=1)).isoformat(),
    ).values_list("reference", "amount")
    for reference, amount in rows:
        try:
            totals[datetime.date.fromisoformat(reference[:10])] += amount
        except ValueError:
            continue
    return totals


def _month_days(page: MealsPage, *, now: datetime.datetime) -> None:
    enrollment = page.enrollment
    first = page.month
    last = first.replace(day=month_calendar.monthrange(first.year, first.month)[1])
    served_days = (
        ServiceDays().of(school_year_id=enrollment.school_year_id, school_id=enrollment.school_id)
        if enrollment
        else None
    ) or frozenset()
    attendance = {}
    cancellations = {}
    exceptions = {}
    totals = {}
    policy = None
    if enrollment is not None:
        attendance = {
            a.date: a
            for a in Attendance.objects.filter(enrollment=enrollment, date__range=(first, last)).only(
                "date", "present", "meal_type"
            )
        }
        cancellations = {
            c.date: c.kind
            for c in MealCancellation.objects.filter(
                enrollment=enrollment, date__range=(first, last), withdrawn_at__isnull=True
            )
        }
        exceptions = dict(
            MealException.objects.filter(enrollment=enrollment, date__range=(first, last)).values_list(
                "date", "reason"
            )
        )
        totals = _day_totals(page.child, first, last)
        policy = policy_of(enrollment.school_year_id)
        page.cutoff = policy.cutoff_time
    today = timezone.localdate(now)
    counts: dict[str, int] = defaultdict(int)
    weeks = month_calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    for week in weeks:
        row = []
        for date in week:
            day = Day(date=date, in_month=date.month == first.month)
            if not day.in_month:
                day.status = "outside"
            elif date not in served_days:
                day.status = "weekend" if date.isoweekday() > 5 else "closed"
                if enrollment is None or not (
                    enrollment.school_year.starts_on <= date <= enrollment.school_year.ends_on
                ):
                    day.status = "weekend" if date.isoweekday() > 5 else "outside"
            else:
                _service_day(
                    day, attendance.get(date), cancellations.get(date), exceptions.get(date), totals.get(date)
                )
                if day.status in ("expected", "cancelled", "light") and policy is not None:
                    day.cancellable = now < cutoff_of(date, policy)
                if day.status == "expected" and date <= today and not day.cancellable:
                    day.status = "pending" if date < today else "expected"
            day.label = str(STATUS_LABELS.get(day.status, ""))
            if day.in_month and day.status:
                counts[day.status] += 1
            row.append(day)
        page.weeks.append(row)
    page.counts = dict(counts)


def _service_day(day: Day, report, cancelled: str | None, exception: str | None, total: Decimal | None) -> None:
    if exception is not None:
        day.status, day.note = "exception", exception
    elif cancelled == MealCancellation.Kind.CANCEL:
        day.status = "cancelled"
    elif report is not None and report.present and total:
        day.status = "light" if report.meal_type == "light" else "served"
        day.amount = -total
    elif report is not None and not report.present:
        day.status = "absent"
    elif cancelled == MealCancellation.Kind.LIGHT:
        day.status = "light"
    else:
        day.status = "expected"


def _lines(child: Child) -> tuple[list[Line], list[tuple[datetime.date, Decimal]]]:
    """Every canteen entry (newest first) with the balance after it; the closing balance of each day (oldest first)."""
    entries = list(
        LedgerEntry.objects.filter(child=child, service_kind=ServiceKind.CANTEEN).order_by("created_at", "pk")
    )
    running = Decimal(0)
    chronological = []
    closing: dict[datetime.date, Decimal] = {}
    for entry in entries:
        running += entry.amount
        chronological.append(Line(entry=entry, running=running))
        closing[timezone.localdate(entry.created_at)] = running
    return list(reversed(chronological)), sorted(closing.items())


def chart_of(closing: list[tuple[datetime.date, Decimal]], *, first: datetime.date, last: datetime.date) -> dict:
    """The balance at the end of each day from `first` to `last` as an SVG polyline (no JavaScript)."""
    if last < first:
        last = first
    points: list[tuple[datetime.date, Decimal]] = []
    balance = Decimal(0)
    index = 0
    while index < len(closing) and closing[index][0] < first:
        balance = closing[index][1]
        index += 1
    day = first
    while day <= last:
        while index < len(closing) and closing[index][0] <= day:
            balance = closing[index][1]
            index += 1
        points.append((day, balance))
        day += datetime.timedelta(days=1)
    values = [value for _day, value in points]
    low = min([Decimal(0), *values])
    high = max([Decimal(1), *values])
    span_days = max((last - first).days, 1)
    inner_w = CHART_WIDTH - 2 * CHART_PAD
    inner_h = CHART_HEIGHT - 2 * CHART_PAD + 12

    def x(date: datetime.date) -> float:
        return round(CHART_PAD + inner_w * (date - first).days / span_days, 1)

    def y(value: Decimal) -> float:
        return round(CHART_PAD / 2 + inner_h * float((high - value) / (high - low)), 1)

    ticks = []
    month = first.replace(day=1)
    while month <= last:
        if month >= first:
            ticks.append({"x": x(month), "label": f"{month:%m/%y}"})
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "points": " ".join(f"{x(d)},{y(v)}" for d, v in points),
        "zero_y": y(Decimal(0)),
        "high": high,
        "low": low,
        "high_y": y(high),
        "low_y": y(low),
        "left": CHART_PAD,
        "right": CHART_WIDTH - CHART_PAD,
        "ticks": ticks,
        "last": values[-1] if values else Decimal(0),
        "first_day": first,
        "last_day": last,
    }


def meals_page(
    *, user: User, child_id: int, month: str | None = None, now: datetime.datetime | None = None
) -> MealsPage:
    """The meals page of one of the user's children (Child.DoesNotExist otherwise: a 404)."""
    moment = now or timezone.now()
    today = timezone.localdate(moment) if now else today_local()
    child = child_get_for_user(user=user, pk=child_id)
    enrollment = _enrollment_for(child, today)
    default = today
    if enrollment is not None:
        default = min(max(today, enrollment.school_year.starts_on), enrollment.school_year.ends_on)
    page = MealsPage(child=child, enrollment=enrollment, month=month_parse(month, default=default))
    if enrollment is not None:
        year = enrollment.school_year
        start, end = year.starts_on.replace(day=1), year.ends_on.replace(day=1)
        page.month = min(max(page.month, start), end)
        previous = (page.month - datetime.timedelta(days=1)).replace(day=1)
        following = (page.month + datetime.timedelta(days=32)).replace(day=1)
        page.previous_month = previous if previous >= start else None
        page.next_month = following if following <= end else None
    balance = (
        Balance.objects.filter(child=child, service_kind=ServiceKind.CANTEEN).values_list("amount", flat=True).first()
    )
    page.balance = balance or Decimal(0)
    _month_days(page, now=moment)
    page.lines, closing = _lines(child)
    if enrollment is not None:
        page.chart = chart_of(
            closing, first=enrollment.school_year.starts_on, last=min(today, enrollment.school_year.ends_on)
        )
    return page


def statement_rows(page: MealsPage):
    """The statement's rows, oldest first: date, kind, description, amount, balance after."""
    for line in reversed(page.lines):
        entry = line.entry
        yield (
            timezone.localtime(entry.created_at).date(),
            entry.get_kind_display(),
            entry.reason or entry.get_kind_display(),
            entry.amount,
            line.running,
        )


STATEMENT_HEADER = ["data", "tipo", "descrizione", "importo", "saldo"]  # fixed words: spreadsheets read them
