"""Reconciliation (FdR): the daily job that reads the flows the PSPs published for the Comune and matches each of
their payments to a receipt of ours by IUV + IUR + amount.

- The flows published since the last one read (a day of margin: a PSP may publish a new revision up to D+4) are
  listed page by page; a flow is (re)read when it is new, has a higher revision, or was left half-read.
- Its payments are streamed page by page and written in batches: a flow of 100,000 payments is never in memory.
- Each line gets an outcome: matched (to the receipt), missing here (paid there, no receipt here: the job pulls it),
  amount mismatch, a line repeated in the flow, revoked, or a flow of another organization. Nothing is counted twice:
  a new revision replaces the lines of the old one.
- Notices whose every receipt is matched become REPORTED.
"""

import datetime
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, Min, OuterRef
from django.utils import timezone

from accounts.services import family_summary_invalidate

from .. import gateway as gateway_module
from ..creditors import organizations
from ..gateway import FdrPayment, GatewayError
from ..gateway.http_fdr import PAYMENTS_PAGE_SIZE, instant
from ..models import FdrFlow, FdrLine, PaymentNotice, Receipt
from .pull import PullResult, receipt_pull_one

logger = logging.getLogger(__name__)

Outcome = FdrLine.Outcome
BATCH = 1000
REPUBLISH_MARGIN = datetime.timedelta(days=1)
MISSING_PULL_LIMIT = 200  # receipts pulled per run for lines missing here
FIRST_READ = datetime.timedelta(days=62)  # with nothing read yet: the flows of the last two months


@dataclass
class FdrImportResult:
    flows_listed: int = 0
    flows_read: int = 0
    lines: int = 0
    failed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    pulled: PullResult = field(default_factory=PullResult)


def _published_after(now: datetime.datetime) -> datetime.datetime:
    last = FdrFlow.objects.filter(complete=True).order_by("-published_at").values_list("published_at", flat=True)
    latest = next(iter(last[:1]), None)
    return (latest - REPUBLISH_MARGIN) if latest else now - FIRST_READ


def _wanted(listing: dict) -> bool:
    flow = FdrFlow.objects.filter(fdr=listing["fdr"], psp_id=listing.get("pspId", "")).first()
    return flow is None or not flow.complete or int(listing.get("revision") or 1) > flow.revision


def _fdr_listings(*, organization: str, now: datetime.datetime, result: FdrImportResult) -> list[dict]:
    """The flows of one organization published since the last import (each marked with the organization)."""
    listings: list[dict] = []
    page = 1
    while True:
        try:
            listing = gateway_module.get_gateway().fdr_list(
                organization=organization, published_after=_published_after(now), page=page
            )
        except GatewayError as error:
            logger.warning("FdR: %s list page %s not read: %s", organization, page, error)
            result.failed += 1
            break
        listings += [{**flow, "organization": organization} for flow in listing.flows]
        if page >= listing.total_pages:
            break
        page += 1
    return listings


def fdr_import(*, now: datetime.datetime | None = None) -> FdrImportResult:
    """List the flows published since the last import and read the new ones; then pull what is missing here."""
    now = now or timezone.now()
    result = FdrImportResult()
    listings: list[dict] = []
    for organization in organizations():  # one station, many organizations: each has its own flows
        listings += _fdr_listings(organization=organization, now=now, result=result)
    result.flows_listed = len(listings)
    half_read = [
        {"fdr": f.fdr, "pspId": f.psp_id, "revision": f.revision, "organization": f.organization_id}
        for f in FdrFlow.objects.filter(complete=False)
    ]
    for item in [*listings, *half_read]:
        if not _wanted(item):
            continue
        organization = item.get("organization") or settings.PAGOPA_CREDITOR_FISCAL_CODE
        try:
            _flow, lines = fdr_flow_read(organization=organization, listing=item)
        except GatewayError as error:
            logger.warning("FdR: flow %s not read: %s", item.get("fdr"), error)
            result.failed += 1
            continue
        result.flows_read += 1
        result.lines += lines
    result.pulled = fdr_missing_pull()
    for outcome, count in FdrLine.objects.values_list("outcome").annotate(n=Count("pk")):
        result.outcomes[outcome] = count
    logger.info("FdR import: %s", result)
    return result


def fdr_flow_read(*, organization: str, listing: dict) -> tuple[FdrFlow, int]:
    """Read one flow: its header, then its payments page by page, matched as they are written; returns the flow and
    the number of lines read."""
    gateway = gateway_module.get_gateway()
    fdr, psp_id, revision = str(listing["fdr"]), str(listing.get("pspId", "")), int(listing.get("revision") or 1)
    header = gateway.fdr_flow(organization=organization, fdr=fdr, revision=revision, psp_id=psp_id)
    flow = _flow_store(fdr=fdr, psp_id=psp_id, revision=revision, header=header, organization=organization)
    writer = _LineWriter(flow)
    page = 1
    while True:
        count = gateway.fdr_payments(
            organization=organization, fdr=fdr, revision=revision, psp_id=psp_id, page=page, sink=writer.add
        )
        writer.flush()
        if count < PAYMENTS_PAGE_SIZE:
            break
        page += 1
    _duplicates_mark(flow)
    _notices_mark_reported(flow)
    FdrFlow.objects.filter(pk=flow.pk).update(complete=True)
    flow.complete = True
    return flow, writer.written


@transaction.atomic
def _flow_store(*, fdr: str, psp_id: str, revision: int, header: dict, organization: str) -> FdrFlow:
    """The flow row with this header; the lines of an earlier read or revision are dropped (read again)."""
    sender = header.get("sender") or {}
    receiver = header.get("receiver") or {}
    regulation_date = header.get("regulationDate")
    values = {
        "revision": revision,
        "organization_id": str(receiver.get("organizationId") or organization)[:35],
        "foreign": str(receiver.get("organizationId") or organization) != organization,
        "psp_name": str(sender.get("pspName") or "")[:70],
        "flow_date": instant(header.get("fdrDate")),
        "published_at": instant(header.get("published")),
        "regulation": str(header.get("regulation") or "")[:140],
        "regulation_date": datetime.date.fromisoformat(str(regulation_date)[:10]) if regulation_date else None,
        "bic": str(header.get("bicCodePouringBank") or "")[:35],
        "tot_payments": int(header.get("totPayments") or 0),
        "sum_payments": Decimal(str(header.get("sumPayments") or "0")),
        "complete": False,
        "imported_at": timezone.now(),
    }
    flow, _created = FdrFlow.objects.update_or_create(fdr=fdr, psp_id=psp_id, defaults=values)
    FdrLine.objects.filter(flow=flow).delete()
    return flow


class _LineWriter:
    """Collects a page's payments and writes them matched, a batch at a time."""

    def __init__(self, flow: FdrFlow) -> None:
        self.flow = flow
        self.pending: list[FdrPayment] = []
        self.written = 0

    def add(self, payment: FdrPayment) -> None:
        self.pending.append(payment)
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        receipts = _receipts_by_key([p.iuv for p in self.pending])
        FdrLine.objects.bulk_create(
            [_line(self.flow, payment, receipts.get((payment.iuv, payment.iur))) for payment in self.pending]
        )
        self.written += len(self.pending)
        self.pending = []


def _receipts_by_key(iuvs: list[str]) -> dict[tuple[str, str], Receipt]:
    rows = Receipt.objects.filter(iuv__in=set(iuvs)).only("pk", "iuv", "receipt_id", "amount", "notice_id")
    return {(receipt.iuv, receipt.receipt_id): receipt for receipt in rows}


def _outcome(flow: FdrFlow, payment: FdrPayment, receipt: Receipt | None) -> str:
    if flow.foreign:
        return Outcome.FOREIGN
    if payment.pay_status == "REVOKED":
        return Outcome.REVOKED
    if receipt is None:
        return Outcome.MISSING
    return Outcome.MATCHED if receipt.amount == payment.amount else Outcome.AMOUNT


def _line(flow: FdrFlow, payment: FdrPayment, receipt: Receipt | None) -> FdrLine:
    outcome = _outcome(flow, payment, receipt)
    return FdrLine(
        flow=flow,
        index=payment.index,
        iuv=payment.iuv[:35],
        iur=payment.iur[:35],
        id_transfer=payment.id_transfer,
        amount=payment.amount,
        pay_date=payment.pay_date,
        pay_status=payment.pay_status[:16],
        outcome=outcome,
        receipt=receipt if outcome in (Outcome.MATCHED, Outcome.AMOUNT) else None,
    )


def _duplicates_mark(flow: FdrFlow) -> None:
    """A payment listed twice in a flow (same IUV, IUR and transfer): every line after the first is a repeat."""
    groups = (
        FdrLine.objects.filter(flow=flow)
        .values("iuv", "iur", "id_transfer")
        .annotate(n=Count("pk"), first=Min("index"))
        .filter(n__gt=1)
    )
    for group in groups:
        FdrLine.objects.filter(
            flow=flow, iuv=group["iuv"], iur=group["iur"], id_transfer=group["id_transfer"]
        ).exclude(index=group["first"]).update(outcome=Outcome.DUPLICATE, receipt=None)


def _notices_mark_reported(flow: FdrFlow) -> int:
    """Notices paid here whose every receipt has a matched line become REPORTED."""
    notice_ids = set(
        FdrLine.objects.filter(flow=flow, outcome=Outcome.MATCHED).values_list("receipt__notice_id", flat=True)
    )
    matched = FdrLine.objects.filter(outcome=Outcome.MATCHED).values("receipt_id")
    unmatched = Receipt.objects.filter(notice_id=OuterRef("pk")).exclude(pk__in=matched)
    rows = (
        PaymentNotice.objects.filter(pk__in=notice_ids, status=PaymentNotice.Status.PAID)
        .exclude(platform_state=PaymentNotice.PlatformState.REPORTED)
        .annotate(open=Exists(unmatched))
        .filter(open=False)
    )
    child_ids = list(rows.values_list("child_id", flat=True))
    count = PaymentNotice.objects.filter(pk__in=rows.values("pk")).update(
        platform_state=PaymentNotice.PlatformState.REPORTED
    )
    if child_ids:
        family_summary_invalidate(child_ids=child_ids)
    return count


def fdr_missing_pull(*, limit: int = MISSING_PULL_LIMIT) -> PullResult:
    """Pull the receipts of lines paid there and missing here, then match those lines again."""
    result = PullResult()
    lines = FdrLine.objects.filter(outcome=Outcome.MISSING).select_related("flow")
    rows = lines.values_list("iuv", "flow__organization_id")[: limit * 2]
    organization_of = dict(rows)
    iuvs = list(organization_of)[:limit]
    for iuv in iuvs:
        if not Receipt.objects.filter(iuv=iuv).exists():
            receipt_pull_one(iuv=iuv, result=result, organization=organization_of[iuv])
    fdr_rematch(iuvs=iuvs)
    return result


def fdr_rematch(*, iuvs: list[str]) -> int:
    """Match again the missing or mismatched lines of these IUVs (a receipt arrived, a correction was made)."""
    changed = 0
    receipts = _receipts_by_key(iuvs)
    flows: set[int] = set()
    for line in FdrLine.objects.filter(iuv__in=iuvs, outcome__in=[Outcome.MISSING, Outcome.AMOUNT]).select_related(
        "flow"
    ):
        payment = FdrPayment(
            index=line.index,
            iuv=line.iuv,
            iur=line.iur,
            id_transfer=line.id_transfer,
            amount=line.amount,
            pay_date=line.pay_date,
            pay_status=line.pay_status,
        )
        receipt = receipts.get((line.iuv, line.iur))
        outcome = _outcome(line.flow, payment, receipt)
        if outcome != line.outcome:
            line.outcome = outcome
            line.receipt = receipt
            line.save(update_fields=["outcome", "receipt"])
            flows.add(line.flow_id)
            changed += 1
    for flow in FdrFlow.objects.filter(pk__in=flows):
        _notices_mark_reported(flow)
    return changed
