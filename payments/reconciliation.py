"""Reads of the reconciliation (FdR) for the ragioneria: receipts no flow reported in time, the day's totals per PSP
and per service, and the lines of one bank transfer (regulation) as a `;` CSV."""

import datetime
from collections.abc import Iterator
from decimal import Decimal

import holidays
from django.conf import settings
from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from enrollment.models import ServiceKind
from portal.csv_export import CSV_CONTENT_TYPE, Export, csv_chunks

from .models import FdrFlow, FdrLine, Receipt

REPORTING_WORKING_DAYS = 3  # a payment of day D is reported by D+2 (transfer D+1); listed after D+3 working days


def working_days_before(day: datetime.date, count: int) -> datetime.date:
    """The day `count` Italian working days before `day` (weekends and national holidays skipped)."""
    closed = holidays.country_holidays("IT", years=range(day.year - 1, day.year + 1))
    while count > 0:
        day -= datetime.timedelta(days=1)
        if day.weekday() < 5 and day not in closed:
            count -= 1
    return day


def receipts_unreported(*, today: datetime.date) -> QuerySet[Receipt]:
    """Receipts of ours that no flow reports (matched or with another amount) T+3 working days after payment."""
    cutoff = working_days_before(today, REPORTING_WORKING_DAYS)
    reported = FdrLine.objects.filter(receipt_id=OuterRef("pk"))
    return (
        Receipt.objects.filter(paid_at__date__lte=cutoff)
        .annotate(reported=Exists(reported))
        .filter(reported=False)
        .select_related("notice")
        .order_by("paid_at", "pk")
    )


def fdr_day_totals(*, day: datetime.date) -> dict[str, list[dict]]:
    """The flows regulated on `day`: totals per PSP, and per service (lines matched to our notices)."""
    lines = FdrLine.objects.filter(flow__regulation_date=day, flow__foreign=False)
    per_psp = list(
        lines.values("flow__psp_id", "flow__psp_name")
        .annotate(payments=Count("pk"), amount=Sum("amount"))
        .order_by("flow__psp_name")
    )
    labels = dict(ServiceKind.choices)
    per_service = [
        row | {"label": labels.get(row["receipt__notice__service_kind"], _("non abbinato"))}
        for row in lines.values("receipt__notice__service_kind")
        .annotate(payments=Count("pk"), amount=Sum("amount"))
        .order_by("receipt__notice__service_kind")
    ]
    total = lines.aggregate(payments=Count("pk"), amount=Sum("amount"))
    return {"per_psp": per_psp, "per_service": per_service, "total": [total]}


CSV_HEADER = [
    "Identificativo regolamento",
    "Data regolamento",
    "Flusso",
    "PSP",
    "IUV",
    "IUR",
    "Trasferimento",
    "Servizio",
    "Tassonomia",
    "Importo",
    "Data pagamento",
    "Abbinamento",
]


def _regulation_rows(flows: QuerySet[FdrFlow]) -> Iterator[list]:
    labels = dict(ServiceKind.choices)
    outcomes = dict(FdrLine.Outcome.choices)
    rows = (
        FdrLine.objects.filter(flow__in=flows)
        .select_related("flow", "receipt__notice")
        .order_by("flow_id", "index")
        .iterator(chunk_size=2000)
    )
    for line in rows:
        notice = line.receipt.notice if line.receipt else None
        kind = notice.service_kind if notice else ""
        yield [
            line.flow.regulation,
            line.flow.regulation_date,
            line.flow.fdr,
            line.flow.psp_name,
            line.iuv,
            line.iur,
            line.id_transfer,
            str(labels.get(kind, "")),
            settings.PAGOPA_TAXONOMY.get(kind, ""),
            Decimal(line.amount),
            line.pay_date,
            str(outcomes.get(line.outcome, line.outcome)),
        ]


def regulation_export(*, flow: FdrFlow) -> Export:
    """The `;` CSV of one bank transfer (every flow with the same regulation identifier) for the ragioneria."""
    flows = FdrFlow.objects.filter(regulation=flow.regulation, psp_id=flow.psp_id)
    filename = f"riversamento-{flow.regulation_date or 'senza-data'}-{flow.psp_id}.csv"
    return filename, CSV_CONTENT_TYPE, csv_chunks(CSV_HEADER, _regulation_rows(flows))
