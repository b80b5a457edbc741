"""Reads of the canteen: service days of a school, the day's rules, the enrollments a school's report may name."""

import datetime

from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import Enrollment, ServiceKind
from payments.models import Balance
from portal.money import euro_format

from .calendar import service_days
from .errors import CanteenError
from .models import Attendance, CanteenCalendar, CanteenPolicy, Closure, MealCancellation


def portal_zone() -> datetime.tzinfo:
    """Europe/Rome (settings.TIME_ZONE): cut-offs and "today" are Italian time, daylight saving included."""
    return timezone.get_default_timezone()


def today_local() -> datetime.date:
    """Today in Italy (Europe/Rome), whatever the server's clock zone."""
    return timezone.localdate(timezone.now(), portal_zone())


def calendar_service_days(calendar: CanteenCalendar) -> frozenset[datetime.date]:
    """The days this calendar serves meals (closures read here: one query)."""
    closures = list(Closure.objects.filter(calendar=calendar).values_list("starts_on", "ends_on"))
    return frozenset(
        service_days(
            first_day=calendar.first_day,
            last_day=calendar.last_day,
            weekdays=calendar.weekdays,
            patron_day=calendar.patron_day,
            closures=closures,
        )
    )


class ServiceDays:
    """Service days per (school year, school), each calendar read once: for a batch or a page."""

    def __init__(self) -> None:
        self._days: dict[tuple[int, int], frozenset[datetime.date] | None] = {}

    def of(self, *, school_year_id: int, school_id: int | None) -> frozenset[datetime.date] | None:
        """None when the office has not entered the school's calendar for that year (or there is no school)."""
        if school_id is None:
            return None
        key = (school_year_id, school_id)
        if key not in self._days:
            calendar = CanteenCalendar.objects.filter(school_year_id=school_year_id, school_id=school_id).first()
            self._days[key] = calendar_service_days(calendar) if calendar is not None else None
        return self._days[key]

    def serves(self, enrollment: Enrollment, day: datetime.date) -> bool:
        days = self.of(school_year_id=enrollment.school_year_id, school_id=enrollment.school_id)
        return days is not None and day in days


def policy_of(school_year_id: int) -> CanteenPolicy:
    """The office's rules for the year (the defaults when the office has not written them)."""
    policy = CanteenPolicy.objects.filter(school_year_id=school_year_id).first()
    return policy or CanteenPolicy(school_year_id=school_year_id)


def cutoff_of(day: datetime.date, policy: CanteenPolicy) -> datetime.datetime:
    """The moment after which the day's meal can no longer be cancelled: the cut-off time, Italian time, that day."""
    naive = datetime.datetime.combine(day, policy.cutoff_time)
    return timezone.make_aware(naive, portal_zone())


def canteen_enrollments() -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(status=Enrollment.Status.ACCEPTED, service__kind=ServiceKind.CANTEEN)


def canteen_enrollment_on(*, child_id: int, day: datetime.date) -> Enrollment | None:
    """The child's accepted canteen enrollment for the school year containing `day`."""
    return (
        canteen_enrollments()
        .filter(child_id=child_id, school_year__starts_on__lte=day, school_year__ends_on__gte=day)
        .select_related("school", "school_year")
        .first()
    )


def discrepancies(*, first: datetime.date, last: datetime.date) -> QuerySet[Attendance]:
    """Days reported present although the parent had cancelled them (not debited; listed for the office)."""
    return (
        Attendance.objects.filter(
            date__range=(first, last),
            present=True,
            enrollment__meal_cancellations__date=F("date"),
            enrollment__meal_cancellations__kind=MealCancellation.Kind.CANCEL,
            enrollment__meal_cancellations__withdrawn_at__isnull=True,
        )
        .select_related("enrollment__child", "enrollment__school")
        .order_by("date", "enrollment__school__name", "enrollment__child__last_name")
    )


def kitchen_requests(*, day: datetime.date, enrollment_ids: list[int]) -> dict[int, str]:
    """The families' live requests for the day: {enrollment id: "cancel" | "light"} (enrollment's kitchen count)."""
    return dict(
        MealCancellation.objects.filter(enrollment_id__in=enrollment_ids, date=day, withdrawn_at__isnull=True)
        .values_list("enrollment_id", "kind")
        .iterator(chunk_size=2000)
    )


def arrears_block_check(*, enrollment: Enrollment) -> None:
    """Refuse a parent's submission when the office blocks enrollment on canteen arrears and the child's canteen
    balance is below the allowed overdraft (the rule of the year before the one enrolled for)."""
    previous = (
        CanteenPolicy.objects.filter(school_year__starts_on__lt=enrollment.school_year.starts_on)
        .order_by("-school_year__starts_on")
        .first()
    )
    if previous is None or not previous.arrears_block_enrollment:
        return
    balance = (
        Balance.objects.filter(child_id=enrollment.child_id, service_kind=ServiceKind.CANTEEN)
        .values_list("amount", flat=True)
        .first()
    )
    if balance is not None and balance < -previous.overdraft_limit:
        raise CanteenError(
            _(
                "Il credito della mensa è negativo (%(amount)s): l'iscrizione si potrà inviare dopo aver pagato il "
                "debito con una ricarica o l'avviso ricevuto. Per accordi, scrivi all'ufficio scuola."
            )
            % {"amount": euro_format(balance)}
        )
