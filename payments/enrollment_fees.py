"""Notices that enrollments cause: the yearly transport fee, payable at once or in the service's instalments.

The canteen is prepaid (top-ups and meal debits), so an accepted canteen enrollment issues nothing.
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import Guardianship
from enrollment.models import Enrollment, ServiceKind

from .models import PaymentNotice
from .money import quantize_eur
from .services import notices_issue_bulk


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


def _transport_fee_spec(enrollment: Enrollment, payer, actor) -> dict:
    year = enrollment.school_year
    first_due = max(year.starts_on - datetime.timedelta(days=14), timezone.localdate() + datetime.timedelta(days=15))
    with override("it"):  # the causale is printed on the notice and the receipt, always in Italian
        causale = _("Trasporto scolastico a.s. %(year)s - %(child)s %(surname)s") % {
            "year": year.name,
            "child": enrollment.child.first_name,
            "surname": enrollment.child.last_name,
        }
    return {
        "child": enrollment.child,
        "service_kind": ServiceKind.TRANSPORT,
        "purpose": PaymentNotice.Purpose.FEE,
        "amount": enrollment.tariff_amount,
        "causale": causale[:140],
        "due_date": first_due,
        "payer": payer,
        "created_by": actor,
        "enrollment": enrollment,
        "instalments": instalment_plan(
            total=enrollment.tariff_amount, count=enrollment.service.instalments, first_due=first_due
        )
        or None,
    }


@transaction.atomic
def transport_fees_issue(*, enrollment_ids: list[int], actor=None) -> int:
    """The yearly fee notice of each accepted transport enrollment that has none yet (free ones: nothing)."""
    enrollments = list(
        Enrollment.objects.filter(
            pk__in=enrollment_ids,
            status=Enrollment.Status.ACCEPTED,
            service__kind=ServiceKind.TRANSPORT,
            tariff_amount__gt=0,
        )
        .exclude(notices__status__in=[PaymentNotice.Status.ISSUED, PaymentNotice.Status.PAID])
        .select_related("child", "service", "school_year", "submitted_by")
    )
    if not enrollments:
        return 0
    reference_ids = dict(
        Guardianship.objects.filter(
            child_id__in=[row.child_id for row in enrollments],
            role=Guardianship.Role.REFERENCE,
            revoked_at__isnull=True,
        ).values_list("child_id", "adult_id")
    )
    adults = get_user_model().objects.in_bulk(reference_ids.values())
    specs = []
    for row in enrollments:
        payer = adults.get(reference_ids.get(row.child_id)) or row.submitted_by
        specs.append(_transport_fee_spec(row, payer, actor))
    return notices_issue_bulk(specs=specs)
