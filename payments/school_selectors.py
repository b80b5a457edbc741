"""Reads for a school's payment events: the staff's schools that are creditors, an event of theirs (404 otherwise),
and an event's report (who paid, who did not, by class; totals) and its CSV."""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import Http404

from accounts.models import User
from enrollment.models import Enrollment, School, SchoolClass, SchoolStaff
from portal.csv_export import CSV_CONTENT_TYPE, Export, csv_chunks

from .models import CreditorSchool, PaymentNotice, SchoolPaymentEvent


def staff_get(*, user: User) -> SchoolStaff:
    staff = SchoolStaff.objects.filter(user=user).first()
    if staff is None:
        raise Http404
    return staff


def staff_creditor_schools(*, staff: SchoolStaff) -> list[School]:
    """The staff's schools that collect as creditors of their own (the only ones that can create events)."""
    linked = CreditorSchool.objects.values_list("school_id", flat=True)
    return list(staff.schools.filter(pk__in=linked).order_by("name"))


def staff_school_get(*, staff: SchoolStaff, pk: int) -> School:
    school = next((s for s in staff_creditor_schools(staff=staff) if s.pk == pk), None)
    if school is None:
        raise Http404
    return school


def staff_events(*, staff: SchoolStaff) -> list[SchoolPaymentEvent]:
    return list(
        SchoolPaymentEvent.objects.filter(school__in=staff.schools.all())
        .select_related("school", "school_year")
        .order_by("-created_at", "-pk")
    )


def staff_event_get(*, staff: SchoolStaff, pk: int) -> SchoolPaymentEvent:
    event = (
        SchoolPaymentEvent.objects.select_related("school", "school_year", "creditor")
        .filter(pk=pk, school__in=staff.schools.all())
        .first()
    )
    if event is None:
        raise Http404
    return event


def school_classes(*, school: School) -> list[SchoolClass]:
    return list(SchoolClass.objects.filter(school=school).order_by("name"))


@dataclass
class EventRow:
    child_name: str
    child_fiscal_code: str
    class_name: str
    payer_name: str
    amount: Decimal
    status: str
    status_label: str
    paid_at: datetime.datetime | None
    notice_id: int


@dataclass
class ClassGroup:
    name: str
    rows: list[EventRow] = field(default_factory=list)

    @property
    def paid(self) -> int:
        return sum(1 for row in self.rows if row.status == PaymentNotice.Status.PAID)


@dataclass
class EventReport:
    groups: list[ClassGroup]
    paid_count: int
    open_count: int
    cancelled_count: int
    paid_total: Decimal
    open_total: Decimal
    paid_after_cancel: list[EventRow]


def _classes_of(event: SchoolPaymentEvent) -> dict[int, str]:
    rows = Enrollment.objects.filter(
        school=event.school, school_year=event.school_year, school_class__isnull=False
    ).values_list("child_id", "school_class__name")
    return dict(rows)


def event_rows(event: SchoolPaymentEvent) -> list[EventRow]:
    classes = _classes_of(event)
    notices = PaymentNotice.objects.filter(school_event=event).select_related("child").order_by("pk")
    rows = [
        EventRow(
            child_name=f"{n.child.last_name} {n.child.first_name}",
            child_fiscal_code=n.child.codice_fiscale,
            class_name=classes.get(n.child_id, ""),
            payer_name=n.payer_name,
            amount=n.amount,
            status=n.status,
            status_label=str(n.get_status_display()),
            paid_at=n.paid_at,
            notice_id=n.pk,
        )
        for n in notices
    ]
    return sorted(rows, key=lambda row: (row.class_name, row.child_name))


def event_report(event: SchoolPaymentEvent) -> EventReport:
    rows = event_rows(event)
    groups: dict[str, ClassGroup] = {}
    for row in rows:
        groups.setdefault(row.class_name, ClassGroup(row.class_name)).rows.append(row)
    paid = [row for row in rows if row.status == PaymentNotice.Status.PAID]
    still_open = [row for row in rows if row.status in {PaymentNotice.Status.ISSUED, PaymentNotice.Status.EXPIRED}]
    return EventReport(
        groups=list(groups.values()),
        paid_count=len(paid),
        open_count=len(still_open),
        cancelled_count=sum(1 for row in rows if row.status == PaymentNotice.Status.CANCELLED),
        paid_total=sum((row.amount for row in paid), Decimal("0.00")),
        open_total=sum((row.amount for row in still_open), Decimal("0.00")),
        paid_after_cancel=paid if event.status == SchoolPaymentEvent.Status.CANCELLED else [],
    )


CSV_HEADER = ["classe", "alunno", "codice_fiscale_alunno", "pagatore", "importo", "stato", "pagato_il"]


def event_csv(event: SchoolPaymentEvent) -> Export:
    def rows() -> Iterator[list]:
        for row in event_rows(event):
            yield [
                row.class_name,
                row.child_name,
                row.child_fiscal_code,
                row.payer_name,
                row.amount,
                row.status_label,
                row.paid_at,
            ]

    return f"evento-{event.pk}-pagamenti.csv", CSV_CONTENT_TYPE, csv_chunks(CSV_HEADER, rows())
