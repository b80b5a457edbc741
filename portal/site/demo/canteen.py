"""The demo canteen: calendars of the running and next school year for every school with a canteen (the office's
rules by default, the Immacolata bridge as a regional closure), and for the demo children's canteen enrollments a
school year so far: a meal on most past service days, an absence now and then, a top-up at the start of each month,
and one cancelled meal ahead — so that the meals page, its chart and the office's reports have something to show."""

import datetime
from decimal import Decimal

from django.utils import timezone

from canteen.models import Attendance, CanteenCalendar, CanteenPolicy, Closure, MealCancellation
from canteen.selectors import ServiceDays, canteen_enrollments, cutoff_of, policy_of
from enrollment.models import ServiceKind
from payments.models import LedgerEntry
from payments.services import ledger_record_many

TOPUP = Decimal("60.00")


def canteen_seed(*, setup: dict, today: datetime.date | None = None) -> None:
    today = today or timezone.localdate()
    canteen = setup["services"][ServiceKind.CANTEEN]
    for year in (setup["running"], setup["next"]):
        CanteenPolicy.objects.get_or_create(school_year=year)
        for school in canteen.schools.all():
            calendar, created = CanteenCalendar.objects.get_or_create(
                school_year=year,
                school=school,
                defaults={"first_day": year.starts_on, "last_day": year.ends_on, "patron_day": None},
            )
            if created:
                bridge = datetime.date(year.starts_on.year, 12, 7)
                Closure.objects.create(
                    calendar=calendar, starts_on=bridge, ends_on=bridge, note="Ponte dell'Immacolata"
                )
    for enrollment in canteen_enrollments().filter(school_year=setup["running"]).select_related("school_year"):
        if not Attendance.objects.filter(enrollment=enrollment).exists():
            _year_so_far(enrollment, today)


def _at(day: datetime.date, hour: int, minute: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _year_so_far(enrollment, today: datetime.date) -> None:
    days = sorted(ServiceDays().of(school_year_id=enrollment.school_year_id, school_id=enrollment.school_id) or ())
    past = [day for day in days if day < today]
    price = enrollment.tariff_amount or Decimal(0)
    attendance, entries = [], []
    month = None
    for index, day in enumerate(past):
        if day.month != month:
            month = day.month
            entries.append(
                LedgerEntry(
                    child_id=enrollment.child_id,
                    service_kind=ServiceKind.CANTEEN,
                    kind=LedgerEntry.Kind.TOPUP,
                    amount=TOPUP,
                    reason="Ricarica con pagoPA (dati dimostrativi)",
                    created_at=_at(day, 8, 0),
                )
            )
        present = index % 9 != 4
        attendance.append(Attendance(enrollment=enrollment, date=day, present=present, recorded_at=_at(day, 14, 0)))
        if present and price:
            entries.append(
                LedgerEntry(
                    child_id=enrollment.child_id,
                    service_kind=ServiceKind.CANTEEN,
                    kind=LedgerEntry.Kind.MEAL,
                    amount=-price,
                    reference=day.isoformat(),
                    reason=f"Pasto del {day:%d/%m/%Y} (normale)",
                    created_at=_at(day, 14, 0),
                )
            )
    Attendance.objects.bulk_create(attendance, batch_size=500)
    ledger_record_many(entries=entries)
    policy = policy_of(enrollment.school_year_id)
    now = timezone.now()
    ahead = next((day for day in days if cutoff_of(day, policy) > now + datetime.timedelta(days=1)), None)
    if ahead is not None:
        adult = enrollment.child.guardianships.filter(revoked_at__isnull=True).first()
        if adult is not None:
            MealCancellation.objects.get_or_create(
                enrollment=enrollment, date=ahead, defaults={"created_by_id": adult.adult_id}
            )
