"""What a year's tax certificates say, computed from data read once for many children (no query per child).

Each creditor attests what was paid to it: the Comune its services, a school its own notices. Per creditor, child
and calendar year (payment date in Italy, 1 January to 31 December; every receipt here is pagoPA, traceable), net
of the year's refunds:
- without a declared split, every person who paid (the receipt's payer, else the notice's) gets a certificate with
  their own payments; the year's refunds reduce the spending of the child's adult of reference first, then of the
  others (largest first), never below zero;
- with a split declared for the child and year, every adult named in it gets one with all the child's payments to
  that creditor and their percentage of the totals (payments made by a person outside the family are marked).
Categories: school spending (art. 15 c. 1 lett. e-bis TUIR: canteen, transport, a school's fees), nursery fees (a
separate deduction), and voluntary contributions to a school (liberal donations, lett. i-octies).
"""

import datetime
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Guardianship
from enrollment.models import ServiceKind
from portal.money import CENT

from ..models import ExpenseSplit, LedgerEntry, Receipt

NURSERY_KINDS = {ServiceKind.NURSERY}
SCHOOL, NURSERY, DONATION = "school", "nursery", "donation"


@dataclass
class CertificateSpec:
    holder_fiscal_code: str
    holder_name: str
    creditor_fiscal_code: str = ""
    creditor_name: str = ""
    share_percent: Decimal = Decimal(100)
    lines: list[dict] = field(default_factory=list)

    def category_total(self, category: str) -> Decimal:
        amount = sum((Decimal(line["amount"]) for line in self.lines if category_of(line) == category), Decimal(0))
        # Never below zero: a refund of money paid in an earlier year does not make this year's spending negative.
        return max(amount * self.share_percent / 100, Decimal(0)).quantize(CENT)

    def totals(self) -> tuple[Decimal, Decimal, Decimal]:
        """(school spending, nursery fees, voluntary contributions)."""
        return self.category_total(SCHOOL), self.category_total(NURSERY), self.category_total(DONATION)

    def fingerprint(self) -> str:
        data = {
            "holder": self.holder_fiscal_code,
            "creditor": self.creditor_fiscal_code,
            "share": str(self.share_percent),
            "lines": self.lines,
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def category_of(line: dict) -> str:
    """A line's category: SCHOOL, NURSERY or DONATION."""
    if line.get("donation"):
        return DONATION
    return NURSERY if line["nursery"] else SCHOOL


def year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_default_timezone()
    return datetime.datetime(year, 1, 1, tzinfo=zone), datetime.datetime(year + 1, 1, 1, tzinfo=zone)


@dataclass
class YearData:
    """A year's receipts, refunds, adults and splits of some children, each read in one query."""

    receipts: dict[int, list[Receipt]] = field(default_factory=lambda: defaultdict(list))
    refunds: dict[int, list[LedgerEntry]] = field(default_factory=lambda: defaultdict(list))
    families: dict[int, dict[str, tuple[str, str]]] = field(default_factory=lambda: defaultdict(dict))
    splits: dict[int, ExpenseSplit] = field(default_factory=dict)


def year_data(*, child_ids: list[int], year: int) -> YearData:
    start, end = year_bounds(year)
    data = YearData()
    receipts = (
        Receipt.objects.filter(notice__child_id__in=child_ids, paid_at__gte=start, paid_at__lt=end)
        .select_related("notice", "notice__creditor")
        .order_by("paid_at", "pk")
    )
    for receipt in receipts:
        data.receipts[receipt.notice.child_id].append(receipt)
    refunds = LedgerEntry.objects.filter(
        child_id__in=child_ids, kind=LedgerEntry.Kind.REFUND, created_at__gte=start, created_at__lt=end
    ).order_by("created_at", "pk")
    for refund in refunds:
        data.refunds[refund.child_id].append(refund)
    guardianships = Guardianship.objects.filter(child_id__in=child_ids, revoked_at__isnull=True).select_related(
        "adult"
    )
    for row in guardianships:
        name = row.adult.get_full_name() or row.adult.codice_fiscale
        data.families[row.child_id][row.adult.codice_fiscale] = (name, row.role)
    for split in ExpenseSplit.objects.filter(child_id__in=child_ids, year=year):
        data.splits[split.child_id] = split
    return data


def _receipt_line(receipt: Receipt, family: dict) -> dict:
    notice = receipt.notice
    payer_cf = (receipt.payer_fiscal_code or notice.payer_fiscal_code).upper()
    creditor = notice.creditor
    return {
        "date": timezone.localtime(receipt.paid_at).date().isoformat(),
        "service": str(ServiceKind(notice.service_kind).label),
        "nursery": notice.service_kind in NURSERY_KINDS,
        "donation": bool(notice.voluntary),
        "creditor_fiscal_code": creditor.fiscal_code if creditor else settings.PAGOPA_CREDITOR_FISCAL_CODE,
        "creditor_name": creditor.name if creditor else settings.PAGOPA_CREDITOR_NAME,
        "causale": notice.causale,
        "notice_number": receipt.notice_number,
        "iuv": receipt.iuv,
        "receipt_id": receipt.receipt_id,
        "amount": str(receipt.amount),
        "payer_fiscal_code": payer_cf,
        "payer_name": receipt.payer_name or notice.payer_name,
        "third_party": payer_cf not in family,
    }


def _refund_line(refund: LedgerEntry) -> dict:
    """A refund of the Comune's services (the ledger is the Comune's)."""
    return {
        "date": timezone.localtime(refund.created_at).date().isoformat(),
        "service": str(ServiceKind(refund.service_kind).label),
        "nursery": refund.service_kind in NURSERY_KINDS,
        "donation": False,
        "creditor_fiscal_code": settings.PAGOPA_CREDITOR_FISCAL_CODE,
        "creditor_name": settings.PAGOPA_CREDITOR_NAME,
        "causale": refund.reason or _("Rimborso"),
        "notice_number": "",
        "iuv": "",
        "receipt_id": "",
        "amount": str(refund.amount),
        "payer_fiscal_code": "",
        "payer_name": "",
        "third_party": False,
        "refund": True,
    }


def child_lines(child_id: int, data: YearData) -> list[dict]:
    """The child's payments of the year and refunds (negative), oldest first, as plain values."""
    family = data.families.get(child_id, {})
    lines = [_receipt_line(receipt, family) for receipt in data.receipts.get(child_id, [])]
    lines += [_refund_line(refund) for refund in data.refunds.get(child_id, [])]
    return sorted(lines, key=lambda line: line["date"])


def child_specs(child_id: int, data: YearData) -> list[CertificateSpec]:
    """Who gets a certificate for the child and year, per creditor, with which payments (see the module)."""
    by_creditor: dict[str, list[dict]] = defaultdict(list)
    for line in child_lines(child_id, data):
        by_creditor[line["creditor_fiscal_code"]].append(line)
    specs = []
    for creditor_cf, lines in by_creditor.items():
        paid = [line for line in lines if not line.get("refund")]
        if not paid:  # no payment this year to this creditor: nothing to certify
            continue
        creditor_name = paid[0]["creditor_name"]
        for spec in _holder_specs(lines, data.families.get(child_id, {}), data.splits.get(child_id)):
            spec.creditor_fiscal_code, spec.creditor_name = creditor_cf, creditor_name
            specs.append(spec)
    return specs


def _holder_specs(lines: list[dict], family: dict, split: ExpenseSplit | None) -> list[CertificateSpec]:
    if split is not None:
        return [
            CertificateSpec(
                holder_fiscal_code=share["fiscal_code"],
                holder_name=share["name"],
                share_percent=Decimal(str(share["percent"])),
                lines=lines,
            )
            for share in split.shares
        ]
    reference = next((cf for cf, (_name, role) in family.items() if role == Guardianship.Role.REFERENCE), None)
    specs: dict[str, CertificateSpec] = {}
    for line in lines:
        if line.get("refund"):
            continue
        spec = specs.setdefault(
            line["payer_fiscal_code"],
            CertificateSpec(holder_fiscal_code=line["payer_fiscal_code"], holder_name=line["payer_name"]),
        )
        spec.lines.append(line)
    _refunds_allocate([line for line in lines if line.get("refund")], specs, first=reference)
    return list(specs.values())


def _refunds_allocate(refunds: list[dict], specs: dict[str, CertificateSpec], *, first: str | None) -> None:
    """Each refund reduces the spending of the adult of reference first, then of the others (largest first), never
    below zero: a refund split across certificates appears on each with the part it takes."""
    for refund in refunds:
        left = -Decimal(refund["amount"])
        category = category_of(refund)
        order = sorted(specs, key=lambda cf: (cf != first, -_raw_total(specs[cf], category)))
        for cf in order:
            take = min(_raw_total(specs[cf], category), left)
            if take <= 0:
                continue
            specs[cf].lines = sorted(
                [*specs[cf].lines, {**refund, "amount": str(-take)}], key=lambda line: line["date"]
            )
            left -= take
            if left <= 0:
                break


def _raw_total(spec: CertificateSpec, category: str) -> Decimal:
    return sum((Decimal(line["amount"]) for line in spec.lines if category_of(line) == category), Decimal(0))
