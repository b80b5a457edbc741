"""Notices that enrollments cause: the yearly transport fee, payable at once or in the service's instalments, and
the nursery's monthly fee (one notice per month of the school year, issued by the beat job at the start of it).

The canteen is prepaid (top-ups and meal debits), so an accepted canteen enrollment issues nothing.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import Child, Guardianship, User
from enrollment.models import Enrollment, ServiceKind
from portal.money import quantize_eur

from ..models import PaymentNotice
from .notices import notices_issue_bulk

NURSERY_DUE_DAY = 20  # a monthly nursery fee is due on the 20th of its month...
NURSERY_MIN_DAYS = 15  # ...or this many days after it is issued, when that is later


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


def _transport_fee_spec(enrollment: Enrollment, payer: User | None, actor: User | None) -> dict[str, Any]:
    year = enrollment.school_year
    total = enrollment.tariff_amount or Decimal(0)  # only enrollments with a tariff above zero get here
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
        "amount": total,
        "causale": causale[:140],
        "due_date": first_due,
        "payer": payer,
        "created_by": actor,
        "enrollment": enrollment,
        "instalments": instalment_plan(total=total, count=enrollment.service.instalments, first_due=first_due) or None,
    }


@transaction.atomic
def transport_fees_issue(*, enrollment_ids: list[int], actor: User | None = None) -> int:
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
    payers = _payers(enrollments)
    return notices_issue_bulk(specs=[_transport_fee_spec(row, payers[row.pk], actor) for row in enrollments])


def _payers(enrollments: list[Enrollment]) -> dict[int, User | None]:
    """Enrollment id → who pays: the child's adult of reference, else who submitted the enrollment."""
    reference_ids = dict(
        Guardianship.objects.filter(
            child_id__in=[row.child_id for row in enrollments],
            role=Guardianship.Role.REFERENCE,
            revoked_at__isnull=True,
        ).values_list("child_id", "adult_id")
    )
    adults = get_user_model().objects.in_bulk(reference_ids.values())
    return {row.pk: adults.get(reference_ids.get(row.child_id)) or row.submitted_by for row in enrollments}


# --- the nursery's monthly fee ------------------------------------------------------------------------------------


def nursery_fee_due(*, month: datetime.date, today: datetime.date) -> datetime.date:
    """The 20th of the fee's month, or 15 days after issue when that is later (a late run, a past month)."""
    return max(month.replace(day=NURSERY_DUE_DAY), today + datetime.timedelta(days=NURSERY_MIN_DAYS))


def _child_label(child: Child) -> str:
    """The child's name for a causale (the causale check leaves names out: "Medici" is a surname)."""
    return " ".join(f"{child.first_name} {child.last_name}".split())


def _nursery_fee_spec(
    enrollment: Enrollment, payer: User | None, actor: User | None, *, month: datetime.date, due: datetime.date
) -> dict[str, Any]:
    with override("it"):  # the causale is printed on the notice and the receipt, always in Italian
        causale = _("Asilo nido - retta di %(month)s %(year)d - %(child)s") % {
            "month": str(MONTHS[month.month]).lower(),
            "year": month.year,
            "child": _child_label(enrollment.child),
        }
    return {
        "child": enrollment.child,
        "service_kind": ServiceKind.NURSERY,
        "purpose": PaymentNotice.Purpose.FEE,
        "amount": enrollment.tariff_amount,
        "causale": causale[:140],
        "due_date": due,
        "payer": payer,
        "created_by": actor,
        "enrollment": enrollment,
        "period": month,
    }


@transaction.atomic
def nursery_fees_issue(*, month: datetime.date, actor: User | None = None) -> int:
    """The monthly fee notice of `month` (any day of it) for each accepted nursery enrollment that has none yet.

    Only the months of the enrollment's school year (from the month of its first day to the month of its last);
    exempt enrollments (tariff 0) owe nothing. Idempotent: a month already issued (a notice not cancelled) is
    skipped, so the beat job and the command can run again. Returns how many notices were issued.
    """
    if not isinstance(month, datetime.date) or isinstance(month, datetime.datetime):
        raise TypeError("month must be a date")
    first = month.replace(day=1)
    owing = Enrollment.objects.filter(
        status=Enrollment.Status.ACCEPTED,
        service__kind=ServiceKind.NURSERY,
        tariff_amount__gt=0,
        school_year__starts_on__lt=_add_months(first, 1),
        school_year__ends_on__gte=first,
    )
    # Lock the rows, then ask (a fresh snapshot) which are already issued: a concurrent run waits here, then skips
    # what the first one issued, instead of failing on the unique (enrollment, period) constraint.
    locked = list(owing.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
    issued = PaymentNotice.objects.filter(enrollment_id__in=locked, period=first).exclude(
        status=PaymentNotice.Status.CANCELLED
    )
    enrollments = list(
        Enrollment.objects.filter(pk__in=locked)
        .exclude(pk__in=issued.values("enrollment_id"))
        .select_related("child", "submitted_by")
        .order_by("pk")
    )
    if not enrollments:
        return 0
    payers = _payers(enrollments)
    due = nursery_fee_due(month=first, today=timezone.localdate())
    return notices_issue_bulk(
        specs=[_nursery_fee_spec(row, payers[row.pk], actor, month=first, due=due) for row in enrollments]
    )
