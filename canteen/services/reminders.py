"""Reminders about the canteen balance, once per crossing (never one a day).

- Low balance: below the child's threshold (the parent's, else the office's number of meals at the child's
  tariff) → one e-mail to the child's adults with a top-up link; when the balance is back above, the next crossing
  e-mails again.
- Arrears: below zero beyond the office's overdraft → the alert opens that day; after the office's number of days
  still below, one sollecito with a pagoPA notice for the debt (paying it tops the balance up).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Child, Guardianship
from accounts.selectors import reference_adults_of_children
from enrollment.models import Enrollment, ServiceKind
from payments.models import Balance, PaymentNotice
from payments.services import notice_issue
from payments.services.notify import portal_url
from portal import mail
from portal.io import IoContent
from portal.models import NotifyKind
from portal.notify import Notification, notify_many

from ..models import BalanceAlert, CanteenPolicy, LowBalanceThreshold
from ..selectors import canteen_enrollments, today_local

LOW_TEMPLATE = "canteen_low_balance"
ARREARS_TEMPLATE = "canteen_arrears"
ARREARS_DUE_DAYS = 30


@dataclass
class ReminderResult:
    checked: int = 0
    low_sent: int = 0
    arrears_opened: int = 0
    arrears_sent: int = 0
    cleared: int = 0


def _current_enrollments(child_ids: list[int] | None, today: datetime.date) -> dict[int, Enrollment]:
    rows = canteen_enrollments().filter(school_year__starts_on__lte=today, school_year__ends_on__gte=today)
    if child_ids is not None:
        rows = rows.filter(child_id__in=child_ids)
    return {
        row.child_id: row
        for row in rows.select_related("school_year").only(
            "pk", "child_id", "tariff_amount", "school_year_id", "school_year__starts_on", "school_year__ends_on"
        )
    }


def _adults(child_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    rows = (
        Guardianship.objects.filter(child_id__in=child_ids, revoked_at__isnull=True, adult__is_active=True)
        .exclude(adult__email="")
        .values_list("child_id", "adult__email")
        .order_by("role", "pk")
    )
    for child_id, email in rows:
        found.setdefault(child_id, []).append(email)
    return found


def threshold_of(*, enrollment: Enrollment, chosen: Decimal | None, policy: CanteenPolicy) -> Decimal:
    if chosen is not None:
        return chosen
    return (enrollment.tariff_amount or Decimal(0)) * policy.low_balance_meals


def _context(child: Child, balance: Decimal, **extra: object) -> dict:
    return {
        "comune": settings.PORTAL_COMUNE_NAME,
        "child_name": " ".join(f"{child.first_name} {child.last_name}".split()),
        "balance": balance,
        "topup_url": portal_url(reverse("payments:topup")),
        "meals_url": portal_url(reverse("canteen:meals", kwargs={"child_id": child.pk})),
        **extra,
    }


@transaction.atomic
def balance_reminders(*, child_ids: list[int] | None = None, now: datetime.datetime | None = None) -> ReminderResult:
    """Check the canteen balances (all, or these children's) and send what a crossing calls for, once."""
    moment = now or timezone.now()
    today = today_local() if now is None else timezone.localdate(moment)
    result = ReminderResult()
    enrollments = _current_enrollments(child_ids, today)
    if not enrollments:
        return result
    ids = sorted(enrollments)
    balances = dict(
        Balance.objects.filter(child_id__in=ids, service_kind=ServiceKind.CANTEEN).values_list("child_id", "amount")
    )
    chosen = dict(LowBalanceThreshold.objects.filter(child_id__in=ids).values_list("child_id", "amount"))
    policies = {
        p.school_year_id: p
        for p in CanteenPolicy.objects.filter(school_year_id__in={e.school_year_id for e in enrollments.values()})
    }
    open_alerts = {
        (alert.child_id, alert.kind): alert
        for alert in BalanceAlert.objects.select_for_update().filter(child_id__in=ids, cleared_at__isnull=True)
    }
    children = Child.objects.in_bulk(ids)
    adults = _adults(ids)
    references = {
        child_id: (adult.pk, adult.codice_fiscale)
        for child_id, adult in reference_adults_of_children(child_ids=ids).items()
    }
    emails: list[mail.TemplateEmail] = []
    ios: list[Notification] = []
    new_alerts: list[BalanceAlert] = []
    cleared: list[BalanceAlert] = []
    for child_id in ids:
        result.checked += 1
        enrollment = enrollments[child_id]
        policy = policies.get(enrollment.school_year_id) or CanteenPolicy(school_year_id=enrollment.school_year_id)
        amount = balances.get(child_id, Decimal(0))
        low = open_alerts.get((child_id, BalanceAlert.Kind.LOW))
        threshold = threshold_of(enrollment=enrollment, chosen=chosen.get(child_id), policy=policy)
        if amount < threshold and low is None:
            new_alerts.append(
                BalanceAlert(
                    child_id=child_id, kind=BalanceAlert.Kind.LOW, balance=amount, since=moment, sent_at=moment
                )
            )
            context = _context(children[child_id], amount, threshold=threshold)
            if adults.get(child_id):
                emails.append(mail.TemplateEmail(LOW_TEMPLATE, adults[child_id], context))
            if child_id in references:
                ios.append(_low_io(references[child_id], context))
            result.low_sent += 1
        elif amount >= threshold and low is not None:
            low.cleared_at = moment
            cleared.append(low)
        arrears = open_alerts.get((child_id, BalanceAlert.Kind.ARREARS))
        overdrawn = amount < -policy.overdraft_limit
        if overdrawn and arrears is None:
            new_alerts.append(
                BalanceAlert(child_id=child_id, kind=BalanceAlert.Kind.ARREARS, balance=amount, since=moment)
            )
            result.arrears_opened += 1
        elif not overdrawn and arrears is not None:
            arrears.cleared_at = moment
            cleared.append(arrears)
        elif (
            overdrawn
            and arrears is not None
            and arrears.sent_at is None
            and moment - arrears.since >= datetime.timedelta(days=policy.arrears_reminder_days)
        ):
            notice = _arrears_notice(children[child_id], debt=-amount, today=today)
            arrears.sent_at = moment
            arrears.balance = amount
            arrears.notice = notice
            arrears.save(update_fields=["sent_at", "balance", "notice"])
            if adults.get(child_id):
                emails.append(
                    mail.TemplateEmail(
                        ARREARS_TEMPLATE,
                        adults[child_id],
                        _context(
                            children[child_id],
                            amount,
                            debt=-amount,
                            notice_url=portal_url(reverse("payments:notice_detail", kwargs={"pk": notice.pk})),
                            due_date=notice.due_date,
                        ),
                    )
                )
            result.arrears_sent += 1
    BalanceAlert.objects.bulk_create(new_alerts, batch_size=1000)
    BalanceAlert.objects.bulk_update(cleared, ["cleared_at"], batch_size=1000)
    result.cleared = len(cleared)
    if emails:
        mail.email_enqueue_many(emails)
    if ios:  # the arrears' notice goes to IO as every new notice does (payments.services.notify)
        notify_many(ios)
    return result


def _low_io(reference: tuple[int, str], context: dict) -> Notification:
    """The low balance in the app IO for the adult of reference (the e-mail goes to every adult as before)."""
    content = IoContent(
        kind=NotifyKind.BALANCE,
        service=ServiceKind.CANTEEN,
        fiscal_code=reference[1],
        template="canteen_low_balance",
        context=context,
    )
    return Notification(reference[0], NotifyKind.BALANCE, None, content)


def _arrears_notice(child: Child, *, debt: Decimal, today: datetime.date) -> PaymentNotice:
    payer = (
        Guardianship.objects.filter(child=child, role=Guardianship.Role.REFERENCE, revoked_at__isnull=True)
        .select_related("adult")
        .first()
    )
    return notice_issue(
        child=child,
        service_kind=ServiceKind.CANTEEN,
        purpose=PaymentNotice.Purpose.TOPUP,
        amount=debt,
        causale=(_("Mensa - saldo negativo - %(name)s") % {"name": f"{child.first_name} {child.last_name}"})[:140],
        due_date=today + datetime.timedelta(days=ARREARS_DUE_DAYS),
        payer=payer.adult if payer else None,
    )
