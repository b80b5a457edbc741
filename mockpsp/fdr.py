"""The fake's reconciliation flows (FdR), as the PSPs publish them for a creditor: one flow per PSP and day of
payments, published the next morning (08:00 Italian time), listing every receipt of that day (one transfer each).

The flows are computed from the receipts the fake keeps; the control page can drop a receipt from its flow, change
the amount reported, or list it twice (each change raises the flow's revision, as a PSP's correction would). Once a
flow is published, its options and positions are REPORTED, as GPD marks them for the creditors it reports for.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby

from django.db import transaction
from django.utils import timezone

from payments.pagopa import ROME

from .models import DebtPosition, PaymentOption, Receipt

PUBLISH_HOUR = 8
BIC = "MOCKITM1XXX"


@dataclass(frozen=True)
class Flow:
    fdr: str
    psp_id: str
    day: datetime.date
    organization: str
    receipts: list[Receipt]

    @property
    def published(self) -> datetime.datetime:
        return datetime.datetime.combine(self.day + datetime.timedelta(days=1), datetime.time(PUBLISH_HOUR), ROME)

    @property
    def revision(self) -> int:
        return max((receipt.fdr_revision for receipt in self.receipts), default=1)


def _paid_day(receipt: Receipt) -> datetime.date:
    return timezone.localtime(receipt.created_at, ROME).date()


def _flow_key(receipt: Receipt) -> tuple[datetime.date, str]:
    return _paid_day(receipt), str(receipt.body.get("idPSP", ""))


def flows_for(*, organization: str, now: datetime.datetime | None = None) -> list[Flow]:
    """Every flow of the creditor published by `now` (default: now), oldest first."""
    now = now or timezone.now()
    receipts = (
        Receipt.objects.filter(option__position__organization_fiscal_code=organization, body__outcome="OK")
        .select_related("option__position")
        .order_by("created_at", "pk")
    )
    flows = []
    for (day, psp_id), rows in groupby(sorted(receipts, key=_flow_key), key=_flow_key):
        fdr = f"{day:%Y-%m-%d}{psp_id}-0000001"
        flow = Flow(fdr=fdr, psp_id=psp_id, day=day, organization=organization, receipts=list(rows))
        if flow.published <= now:
            flows.append(flow)
    return flows


def flow_get(*, organization: str, fdr: str, psp_id: str) -> Flow | None:
    return next((f for f in flows_for(organization=organization) if f.fdr == fdr and f.psp_id == psp_id), None)


def _euro(cents: int) -> float:
    """Decimal euro as the FdR service writes them: a JSON number (fdr_organization.json types amounts as number)."""
    return float(Decimal(cents) / 100)


def _amount(receipt: Receipt) -> int:
    if receipt.fdr_amount_cents is not None:
        return receipt.fdr_amount_cents
    return int(Decimal(str(receipt.body.get("paymentAmount", "0"))) * 100)


def flow_payments(flow: Flow) -> Iterator[dict]:
    """The flow's payments (fdr_organization.json Payment), index from 1."""
    index = 0
    for receipt in flow.receipts:
        if receipt.fdr_excluded:
            continue
        for _copy in range(2 if receipt.fdr_twice else 1):
            index += 1
            yield {
                "index": index,
                "iuv": receipt.option.iuv,
                "iur": receipt.receipt_id,
                "idTransfer": 1,
                "pay": _euro(_amount(receipt)),
                "payStatus": "EXECUTED",
                "payDate": receipt.body.get("paymentDateTime"),
            }


def flow_header(flow: Flow) -> dict:
    """The flow as GET …/fdrs/{fdr}/revisions/{revision}/psps/{pspId} answers it (SingleFlowResponse)."""
    payments = list(flow_payments(flow))
    total = sum(round(p["pay"] * 100) for p in payments)
    first = flow.receipts[0]
    published = flow.published.isoformat()
    return {
        "status": "PUBLISHED",
        "revision": flow.revision,
        "created": published,
        "updated": published,
        "fdr": flow.fdr,
        "fdrDate": published,
        "regulation": f"SCT-{flow.day:%Y%m%d}-{flow.psp_id}",
        "regulationDate": (flow.day + datetime.timedelta(days=1)).isoformat(),
        "bicCodePouringBank": BIC,
        "sender": {
            "type": "LEGAL_PERSON",
            "id": flow.psp_id,
            "pspId": flow.psp_id,
            "pspName": str(first.body.get("PSPCompanyName", flow.psp_id))[:70],
            "pspBrokerId": flow.psp_id,
            "channelId": str(first.body.get("idChannel", f"{flow.psp_id}_01")),
        },
        "receiver": {
            "id": flow.organization,
            "organizationId": flow.organization,
            "organizationName": first.option.position.company_name,
        },
        "published": published,
        "computedTotPayments": len(payments),
        "computedSumPayments": _euro(total),
        "totPayments": len(payments),
        "sumPayments": _euro(total),
    }


@transaction.atomic
def flows_mark_reported(*, organization: str) -> int:
    """The options (and positions) of the receipts in published flows become reported."""
    option_ids = [r.option_id for f in flows_for(organization=organization) for r in f.receipts if not r.fdr_excluded]
    options = PaymentOption.objects.filter(pk__in=option_ids, status=PaymentOption.Status.PAID)
    position_ids = list(options.values_list("position_id", flat=True))
    count = options.update(status=PaymentOption.Status.REPORTED)
    for position in DebtPosition.objects.filter(pk__in=position_ids, status=DebtPosition.Status.PAID):
        if not position.options.filter(status=PaymentOption.Status.PAID).exists():
            DebtPosition.objects.filter(pk=position.pk).update(status=DebtPosition.Status.REPORTED)
    return count
