"""Notices that enrollments cause: the yearly transport fee (in instalments) and the monthly nursery fee.

The canteen is prepaid (top-ups and meal debits), so an accepted canteen enrollment issues nothing.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import Guardianship
from enrollment.models import Enrollment, ServiceKind

from .models import PaymentNotice
from .money import quantize_eur
from .services import notice_issue


def _reference_adult(enrollment: Enrollment):
    guardianship = (
        Guardianship.objects.select_related("adult")
        .filter(child_id=enrollment.child_id, role=Guardianship.Role.REFERENCE, revoked_at__isnull=True)
        .first()
    )
    return guardianship.adult if guardianship else enrollment.submitted_by


def instalment_plan(*, total: Decimal, count: int, first_due: datetime.date) -> list[tuple[Decimal, datetime.date]]:
    """Split a yearly fee into `count` instalments a few months apart; the last one takes the rounding cents."""
    if count <= 1:
        return []
    share = quantize_eur(total / count)
    amounts = [share] * (count - 1) + [total - share * (count - 1)]
    dues = [_add_months(first_due, 4 * index) for index in range(count)]
    return list(zip(amounts, dues, strict=True))


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1, day=min(day.day, 28))


@transaction.atomic
def transport_fee_notice_issue(*, enrollment: Enrollment, actor=None) -> PaymentNotice | None:
    """The yearly transport fee of an accepted enrollment, payable at once or in the service's instalments."""
    if enrollment.service.kind != ServiceKind.TRANSPORT or not enrollment.tariff_amount:
        return None
    existing = PaymentNotice.objects.filter(enrollment=enrollment).exclude(status=PaymentNotice.Status.CANCELLED)
    if existing.exists():
        return existing.first()
    year = enrollment.school_year
    first_due = max(year.starts_on - datetime.timedelta(days=14), timezone.localdate() + datetime.timedelta(days=15))
    with override("it"):  # the causale is printed on the notice and the receipt, always in Italian
        causale = _("Trasporto scolastico a.s. %(year)s - %(child)s %(surname)s") % {
            "year": year.name,
            "child": enrollment.child.first_name,
            "surname": enrollment.child.last_name,
        }
    return notice_issue(
        child=enrollment.child,
        service_kind=ServiceKind.TRANSPORT,
        purpose=PaymentNotice.Purpose.FEE,
        amount=enrollment.tariff_amount,
        causale=causale[:140],
        due_date=first_due,
        payer=_reference_adult(enrollment),
        created_by=actor,
        enrollment=enrollment,
        instalments=instalment_plan(
            total=enrollment.tariff_amount, count=enrollment.service.instalments, first_due=first_due
        )
        or None,
    )
