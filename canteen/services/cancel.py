"""Parents' requests for a day (no meal, or a light meal), before the cut-off; the office's exception after it.

The cut-off is checked here, on the server, against the clock in Europe/Rome (daylight-saving days included): a
replayed or forged request after it is refused whatever the page showed. A cancelled day is never debited, even
when the school reports the child present by mistake (the discrepancy is listed for the office).
"""

import datetime
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from enrollment.models import Enrollment

from ..errors import CanteenError, CutoffPassedError, NotServiceDayError
from ..models import MealCancellation, MealException
from ..selectors import ServiceDays, cutoff_of, policy_of
from .settle import meals_settle

MAX_RANGE_DAYS = 120


def cancellable(*, enrollment: Enrollment, day: datetime.date, now: datetime.datetime | None = None) -> bool:
    """Whether the day's meal can still be cancelled (before the cut-off of that day, Italian time)."""
    moment = now or timezone.now()
    return moment < cutoff_of(day, policy_of(enrollment.school_year_id))


def days_in_range(*, enrollment: Enrollment, first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The service days of the enrollment's school between `first` and `last` (both included)."""
    if last < first:
        raise CanteenError(_("Il giorno finale viene prima di quello iniziale."))
    if (last - first).days > MAX_RANGE_DAYS:
        raise CanteenError(_("Al massimo %(n)s giorni alla volta.") % {"n": MAX_RANGE_DAYS})
    days = ServiceDays().of(school_year_id=enrollment.school_year_id, school_id=enrollment.school_id) or frozenset()
    return sorted(day for day in days if first <= day <= last)


def _days_check(enrollment: Enrollment, days: Iterable[datetime.date], now: datetime.datetime) -> list[datetime.date]:
    chosen = sorted(set(days))
    if not chosen:
        raise CanteenError(_("Scegli almeno un giorno con la mensa in servizio."))
    if enrollment.status != Enrollment.Status.ACCEPTED:
        raise CanteenError(_("L'iscrizione alla mensa non è attiva."))
    service = ServiceDays()
    not_served = [day for day in chosen if not service.serves(enrollment, day)]
    if not_served:
        raise NotServiceDayError(
            _("In questi giorni la mensa non è in servizio: %(days)s.")
            % {"days": ", ".join(f"{day:%d/%m/%Y}" for day in not_served)}
        )
    policy = policy_of(enrollment.school_year_id)
    late = [day for day in chosen if now >= cutoff_of(day, policy)]
    if late:
        raise CutoffPassedError(
            _("Per %(days)s l'ora limite (le %(time)s del giorno stesso) è passata: il pasto non si può più cambiare.")
            % {"days": ", ".join(f"{day:%d/%m/%Y}" for day in late), "time": f"{policy.cutoff_time:%H:%M}"}
        )
    return chosen


@transaction.atomic
def meals_cancel(
    *,
    enrollment: Enrollment,
    days: Iterable[datetime.date],
    kind: str,
    actor: User,
    now: datetime.datetime | None = None,
) -> list[MealCancellation]:
    """Cancel (or ask a light meal for) these days; a day already asked the same way is left as it is."""
    if kind not in MealCancellation.Kind.values:
        raise CanteenError(_("Richiesta non valida."))
    moment = now or timezone.now()
    chosen = _days_check(enrollment, days, moment)
    current = {
        row.date: row
        for row in MealCancellation.objects.select_for_update().filter(
            enrollment=enrollment, date__in=chosen, withdrawn_at__isnull=True
        )
    }
    created = []
    for day in chosen:
        existing = current.get(day)
        if existing is not None and existing.kind == kind:
            continue
        if existing is not None:
            existing.withdrawn_at = moment
            existing.save(update_fields=["withdrawn_at"])
        try:
            with transaction.atomic():
                created.append(
                    MealCancellation.objects.create(
                        enrollment=enrollment, date=day, kind=kind, created_by=actor, created_at=moment
                    )
                )
        except IntegrityError:  # the same request sent twice at once: the other one stands
            continue
    return created


@transaction.atomic
def meals_cancel_withdraw(
    *, enrollment: Enrollment, days: Iterable[datetime.date], actor: User, now: datetime.datetime | None = None
) -> int:
    """The parent changes their mind before the cut-off: the day's request is withdrawn (kept, not deleted)."""
    moment = now or timezone.now()
    chosen = _days_check(enrollment, days, moment)
    return MealCancellation.objects.filter(enrollment=enrollment, date__in=chosen, withdrawn_at__isnull=True).update(
        withdrawn_at=moment
    )


def meal_exception_check(*, enrollment: Enrollment, day: datetime.date, reason: str) -> str:
    """The exception's reason, normalised, or a CanteenError saying why it cannot be granted (the admin's form asks
    this before saving, so the office reads the reason on the same page)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise CanteenError(_("Scrivi il motivo dell'eccezione: la famiglia lo vedrà."))
    if not ServiceDays().serves(enrollment, day):
        raise NotServiceDayError(
            _("Il %(day)s la mensa di questa scuola non è in servizio.") % {"day": f"{day:%d/%m/%Y}"}
        )
    if MealException.objects.filter(enrollment=enrollment, date=day).exists():
        raise CanteenError(_("Per questo giorno c'è già un'eccezione."))
    return reason


@transaction.atomic
def meal_exception_grant(*, enrollment: Enrollment, day: datetime.date, reason: str, actor: User) -> MealException:
    """The office's decision after the cut-off: the day's meal is not charged (a reversal the parent sees)."""
    reason = meal_exception_check(enrollment=enrollment, day=day, reason=reason)
    exception, created = MealException.objects.get_or_create(
        enrollment=enrollment, date=day, defaults={"reason": reason[:200], "granted_by": actor}
    )
    if not created:  # granted by someone else a moment ago
        raise CanteenError(_("Per questo giorno c'è già un'eccezione."))
    meals_settle(day=day, enrollment_ids=[enrollment.pk], actor=actor)
    return exception
