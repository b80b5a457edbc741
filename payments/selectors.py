"""Reads about payments, already scoped to the family they are asked for (another family's object is a 404).

A parent sees every notice, receipt, balance and movement of every child they are an active guardian of
(adult of reference or delegate), whoever paid.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts.models import Child, User
from enrollment.models import PREPAID_KINDS, Enrollment, ServiceKind
from portal import family_cache
from portal.money import quantize_eur

from .errors import NotFoundError
from .models import Balance, Cart, LedgerEntry, PaymentNotice, PaymentOption, Receipt

Status = PaymentNotice.Status
NOTICES_PAGE_PART = "payments"
ZERO = Decimal("0.00")


def _family(user: User) -> Q:
    """Rows of children the user is an active guardian of (one join; one active guardianship per adult and child)."""
    return Q(child__guardianships__adult=user, child__guardianships__revoked_at__isnull=True)


def _notices_for_family(user: User) -> QuerySet[PaymentNotice]:
    latest_receipt = Receipt.objects.filter(notice=OuterRef("pk")).order_by("-paid_at", "-pk").values("pk")[:1]
    return (
        PaymentNotice.objects.filter(_family(user))
        .select_related("child", "creditor", "school_event")
        .prefetch_related(Prefetch("options", queryset=PaymentOption.objects.order_by("instalment")))
        .annotate(receipt_pk=Subquery(latest_receipt))
    )


def notices_open_count_for_user(*, user: User) -> int:
    """How many notices of the user's children are still to pay (the family page's reminder)."""
    return PaymentNotice.objects.filter(_family(user), status=PaymentNotice.Status.ISSUED).count()


def notice_list_for_user(*, user: User) -> list[PaymentNotice]:
    """Every notice of the user's children with child and options (2 queries): open ones first, by due date;
    then paid (newest first), expired, cancelled. Each has `receipt_pk`, its latest receipt's id or None."""
    rank = Case(
        When(status=Status.ISSUED, then=Value(0)),
        When(status=Status.PAID, then=Value(1)),
        When(status=Status.EXPIRED, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return list(
        _notices_for_family(user)
        .annotate(rank=rank)
        .order_by("rank", Case(When(status=Status.ISSUED, then="due_date")), "-paid_at", "-due_date", "-pk")
    )


@dataclass(frozen=True)
class NoticesPage:
    """What the payments page shows: every notice (as `notice_list_for_user`) and the balances."""

    notices: list[PaymentNotice]
    balances: list[Balance]


def notices_page_for_user(*, user: User) -> NoticesPage:
    """The payments page's notices and balances, kept in the family's cached summary until a service that changes
    them calls accounts.services.family_summary_invalidate (portal.family_cache): no query while it is valid."""

    def compute() -> NoticesPage:
        return NoticesPage(notices=notice_list_for_user(user=user), balances=balance_list_for_user(user=user))

    return family_cache.family_cached(user_id=user.pk, part=NOTICES_PAGE_PART, compute=compute)


def notice_get_for_user(*, user: User, pk: int | str) -> PaymentNotice:
    """One notice of the user's family with child, options and receipts; NotFoundError (a 404) otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as error:
        raise NotFoundError from error
    notice = (
        _notices_for_family(user)
        .select_related("payer", "school_event")
        .prefetch_related(Prefetch("receipts", queryset=Receipt.objects.order_by("paid_at", "pk")))
        .filter(pk=pk)
        .first()
    )
    if notice is None:
        raise NotFoundError
    return notice


def receipt_list_for_user(*, user: User) -> list[Receipt]:
    """Every receipt of the user's children's notices, newest payment first (one query)."""
    return list(
        Receipt.objects.filter(notice__in=PaymentNotice.objects.filter(_family(user)))
        .select_related("notice", "notice__child", "option")
        .order_by("-paid_at", "-pk")
    )


def receipt_get_for_user(*, user: User, pk: int | str) -> Receipt:
    """One receipt of the user's family's notices; NotFoundError (a 404) otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as error:
        raise NotFoundError from error
    receipt = (
        Receipt.objects.filter(pk=pk, notice__in=PaymentNotice.objects.filter(_family(user)))
        .select_related("notice", "notice__child", "option")
        .first()
    )
    if receipt is None:
        raise NotFoundError
    return receipt


def _prepaid_balances(children: Q) -> list[Balance]:
    """The balances of the `children` (a Q on Child) in each prepaid service, by child then service (child loaded):
    the cached amount where there are movements, 0,00 € for a child whose enrollment in the service is accepted and
    who has none yet. Services billed by notice have no balance. One query per prepaid service (one: the canteen).
    The Balance rows returned are built here, not saved: they are for showing."""
    balances: list[Balance] = []
    for kind in sorted(PREPAID_KINDS):
        rows = (
            Child.objects.filter(children)
            .annotate(
                balance=Subquery(Balance.objects.filter(child=OuterRef("pk"), service_kind=kind).values("amount")[:1]),
                enrolled=Exists(
                    Enrollment.objects.filter(
                        child=OuterRef("pk"), service__kind=kind, status=Enrollment.Status.ACCEPTED
                    )
                ),
            )
            .filter(Q(balance__isnull=False) | Q(enrolled=True))
        )
        balances.extend(Balance(child=child, service_kind=kind, amount=child.balance or ZERO) for child in rows)
    balances.sort(key=lambda balance: (balance.child.first_name, balance.child_id, balance.service_kind))
    return balances


def balance_list_for_user(*, user: User) -> list[Balance]:
    """The balance of each of the user's children in each prepaid service (ServiceKind.prepaid: the canteen), also
    at 0,00 € for an accepted enrollment without movements; never one of a service billed by notice."""
    return _prepaid_balances(Q(guardianships__adult=user, guardianships__revoked_at__isnull=True))


def ledger_balance(*, child: Child, service_kind: str) -> Decimal:
    """The balance as the sum of the entries (the cached Balance must always equal it)."""
    total = LedgerEntry.objects.filter(child=child, service_kind=service_kind).aggregate(total=Sum("amount"))["total"]
    return (total or ZERO).quantize(Decimal("0.01"))


def child_get_for_user(*, user: User, child_id: int | str) -> Child:
    """One of the user's children (accounts' scoped read), or NotFoundError (a 404) for anything else typed."""
    try:
        return account_selectors.child_get_for_user(user=user, pk=int(child_id))
    except (TypeError, ValueError, Child.DoesNotExist) as error:
        raise NotFoundError from error


def ledger_get_for_user(*, user: User, child_id: int | str, service_kind: str | None = None) -> dict[str, Any]:
    """One of the user's children with its balances and movements (newest first), as a page's context:
    {"child", "balances" (Balance rows), "entries" (a queryset: the view may paginate it), "service_kind"}."""
    child = child_get_for_user(user=user, child_id=child_id)
    entries = (
        LedgerEntry.objects.filter(child_id=child.pk, service_kind__in=PREPAID_KINDS)
        .select_related("notice")
        .order_by("-created_at", "-pk")
    )
    if service_kind:
        entries = entries.filter(service_kind=service_kind)
    return {
        "child": child,
        "balances": _prepaid_balances(Q(pk=child.pk)),
        "entries": entries,
        "service_kind": service_kind or "",
    }


def cart_get_for_user(*, user: User, public_id: str) -> Cart:
    """A cart the user opened, with its notices; NotFoundError otherwise."""
    cart = (
        Cart.objects.filter(public_id=str(public_id)[:32], user=user)
        .prefetch_related(
            Prefetch("notices", queryset=PaymentNotice.objects.select_related("child").order_by("due_date", "pk"))
        )
        .first()
    )
    if cart is None:
        raise NotFoundError
    return cart


@dataclass(frozen=True)
class CartState:
    notices: list[PaymentNotice]
    receipts: list[Receipt]  # receipts that arrived since the cart was opened, newest first
    settled: bool  # every notice paid (a receipt is the only proof)


def cart_state_get(*, cart: Cart) -> CartState:
    """The cart's notices, the receipts received for them since it was opened, and whether all are paid (2 queries)."""
    notices = list(cart.notices.all())
    receipts = list(
        Receipt.objects.filter(notice__in=notices, received_at__gte=cart.created_at)
        .select_related("notice__child")
        .order_by("-paid_at", "-pk")
    )
    paid_since = {receipt.notice_id for receipt in receipts}
    settled = bool(notices) and all(notice.status == Status.PAID or notice.pk in paid_since for notice in notices)
    return CartState(notices, receipts, settled)


# --- office ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    service_kind: str
    service_label: str
    psp_id: str
    psp_name: str
    count: int
    amount: Decimal
    fees: Decimal
    flagged: int


@dataclass(frozen=True)
class DailyReport:
    day: datetime.date
    rows: list[ReportRow]
    count: int
    amount: Decimal
    fees: Decimal


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The first instant of `day` and of the day after, in the current time zone (Europe/Rome)."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, end


def receipts_daily_report(*, day: datetime.date) -> DailyReport:
    """Receipts paid on a day (Europe/Rome), per service and PSP: how many, amount, PSP fees, flagged."""
    start, end = day_bounds(day)
    grouped = (
        Receipt.objects.filter(paid_at__gte=start, paid_at__lt=end)
        .values("notice__service_kind", "psp_id")
        .annotate(
            count=Count("pk"),
            amount=Coalesce(Sum("amount"), ZERO),
            fees=Coalesce(Sum("fee"), ZERO),
            flagged=Count("pk", filter=Q(flagged=True)),
            psp_name=Subquery(
                Receipt.objects.filter(psp_id=OuterRef("psp_id"), paid_at__gte=start, paid_at__lt=end)
                .order_by("-paid_at")
                .values("psp_name")[:1]
            ),
        )
        .order_by("notice__service_kind", "psp_id")
    )
    labels = dict(ServiceKind.choices)
    rows = [
        ReportRow(
            service_kind=row["notice__service_kind"],
            service_label=str(labels.get(row["notice__service_kind"], row["notice__service_kind"])),
            psp_id=row["psp_id"],
            psp_name=row["psp_name"] or "",
            count=row["count"],
            amount=quantize_eur(row["amount"]),  # SQLite sums decimals as floats: back to the cent
            fees=quantize_eur(row["fees"]),
            flagged=row["flagged"],
        )
        for row in grouped
    ]
    return DailyReport(
        day=day,
        rows=rows,
        count=sum(row.count for row in rows),
        amount=sum((row.amount for row in rows), ZERO),
        fees=sum((row.fees for row in rows), ZERO),
    )
