"""The yearly tax certificates (attestazioni delle spese): computed from the receipts of the calendar year (payment
date in Italy, 1 January to 31 December, pagoPA only: every receipt here is traceable) net of the year's refunds,
per child and per person; issued with a verification code; issued again (the old one kept, marked replaced) when a
late receipt or a refund changes a year already issued; nothing happens when nothing changed.

Who gets one: without a declared split, every person who paid (the receipt's payer, else the notice's), each with
their own payments, the year's refunds on the certificate of the child's adult of reference; with a split declared
for the child and year, every adult named in it, with all the child's payments and their percentage of the totals
(payments made by a person outside the family are marked as such). Canteen and transport are school spending (art.
15 c. 1 lett. e-bis TUIR); nursery fees a separate total (a separate deduction).
"""

import datetime
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Child, Guardianship, User
from enrollment.models import ServiceKind
from portal import mail
from portal.money import CENT

from .. import tasks
from ..errors import PaymentsError
from ..models import ExpenseSplit, LedgerEntry, Receipt, TaxCertificate
from .notify import portal_url

NURSERY_KINDS = {ServiceKind.NURSERY}
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper


@dataclass
class CertificateSpec:
    holder_fiscal_code: str
    holder_name: str
    share_percent: Decimal = Decimal(100)
    lines: list[dict] = field(default_factory=list)

    def totals(self) -> tuple[Decimal, Decimal]:
        school = sum((Decimal(line["amount"]) for line in self.lines if not line["nursery"]), Decimal(0))
        nursery = sum((Decimal(line["amount"]) for line in self.lines if line["nursery"]), Decimal(0))
        share = self.share_percent / 100
        # Never below zero: a refund of money paid in an earlier year does not make this year's spending negative.
        return max(school * share, Decimal(0)).quantize(CENT), max(nursery * share, Decimal(0)).quantize(CENT)

    def fingerprint(self) -> str:
        data = {"holder": self.holder_fiscal_code, "share": str(self.share_percent), "lines": self.lines}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_default_timezone()
    return (
        datetime.datetime(year, 1, 1, tzinfo=zone),
        datetime.datetime(year + 1, 1, 1, tzinfo=zone),
    )


def _guardians(child: Child) -> dict[str, tuple[str, str]]:
    """The child's active adults: CF → (name, role)."""
    rows = Guardianship.objects.filter(child=child, revoked_at__isnull=True).select_related("adult")
    return {g.adult.codice_fiscale: (g.adult.get_full_name() or g.adult.codice_fiscale, g.role) for g in rows}


def year_lines(*, child: Child, year: int) -> list[dict]:
    """The child's payments of the year (receipts) and refunds (negative), oldest first, as plain values."""
    start, end = _year_bounds(year)
    family = _guardians(child)
    lines = []
    receipts = (
        Receipt.objects.filter(notice__child=child, paid_at__gte=start, paid_at__lt=end)
        .select_related("notice")
        .order_by("paid_at", "pk")
    )
    for receipt in receipts:
        notice = receipt.notice
        payer_cf = (receipt.payer_fiscal_code or notice.payer_fiscal_code).upper()
        lines.append(
            {
                "date": timezone.localtime(receipt.paid_at).date().isoformat(),
                "service": str(ServiceKind(notice.service_kind).label),
                "nursery": notice.service_kind in NURSERY_KINDS,
                "causale": notice.causale,
                "notice_number": receipt.notice_number,
                "iuv": receipt.iuv,
                "receipt_id": receipt.receipt_id,
                "amount": str(receipt.amount),
                "payer_fiscal_code": payer_cf,
                "payer_name": receipt.payer_name or notice.payer_name,
                "third_party": payer_cf not in family,
            }
        )
    refunds = LedgerEntry.objects.filter(
        child=child, kind=LedgerEntry.Kind.REFUND, created_at__gte=start, created_at__lt=end
    ).order_by("created_at", "pk")
    for refund in refunds:
        lines.append(
            {
                "date": timezone.localtime(refund.created_at).date().isoformat(),
                "service": str(ServiceKind(refund.service_kind).label),
                "nursery": refund.service_kind in NURSERY_KINDS,
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
        )
    return sorted(lines, key=lambda line: line["date"])


def certificate_specs(*, child: Child, year: int) -> list[CertificateSpec]:
    """Who gets a certificate for the child and year, with which payments (see the module)."""
    lines = year_lines(child=child, year=year)
    if not any(not line.get("refund") for line in lines):  # no payment this year: nothing to certify
        return []
    split = ExpenseSplit.objects.filter(child=child, year=year).first()
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
    family = _guardians(child)
    reference = next((cf for cf, (_name, role) in family.items() if role == Guardianship.Role.REFERENCE), None)
    specs: dict[str, CertificateSpec] = {}
    refunds = [line for line in lines if line.get("refund")]
    for line in lines:
        if line.get("refund"):
            continue
        spec = specs.setdefault(
            line["payer_fiscal_code"],
            CertificateSpec(holder_fiscal_code=line["payer_fiscal_code"], holder_name=line["payer_name"]),
        )
        spec.lines.append(line)
    _refunds_allocate(refunds, specs, first=reference)
    return list(specs.values())


def _refunds_allocate(refunds: list[dict], specs: dict[str, "CertificateSpec"], *, first: str | None) -> None:
    """Each refund reduces the spending of the adult of reference first, then of the others (largest first), never
    below zero: a refund split across certificates appears on each with the part it takes."""
    for refund in refunds:
        left = -Decimal(refund["amount"])
        order = sorted(specs, key=lambda cf: (cf != first, -_category_total(specs[cf], refund["nursery"])))
        for cf in order:
            room = _category_total(specs[cf], refund["nursery"])
            take = min(room, left)
            if take <= 0:
                continue
            specs[cf].lines = sorted(
                [*specs[cf].lines, {**refund, "amount": str(-take)}], key=lambda line: line["date"]
            )
            left -= take
            if left <= 0:
                break


def _category_total(spec: "CertificateSpec", nursery: bool) -> Decimal:
    return sum((Decimal(line["amount"]) for line in spec.lines if line["nursery"] == nursery), Decimal(0))


def _code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))


@dataclass
class IssueResult:
    issued: int = 0
    unchanged: int = 0
    replaced: int = 0
    certificate_ids: list[int] = field(default_factory=list)


@transaction.atomic
def certificates_issue(*, child: Child, year: int) -> IssueResult:
    """Issue (or issue again) the child's certificates of the year; a certificate whose data did not change stays."""
    result = IssueResult()
    current = {
        row.holder_fiscal_code: row
        for row in TaxCertificate.objects.select_for_update().filter(
            child=child, year=year, status=TaxCertificate.Status.ISSUED
        )
    }
    wanted = certificate_specs(child=child, year=year)
    for spec in wanted:
        old = current.pop(spec.holder_fiscal_code, None)
        fingerprint = spec.fingerprint()
        if old is not None and old.fingerprint == fingerprint:
            result.unchanged += 1
            continue
        if old is not None:
            old.status = TaxCertificate.Status.REPLACED
            old.save(update_fields=["status"])
        school, nursery = spec.totals()
        certificate = TaxCertificate.objects.create(
            year=year,
            child=child,
            holder_fiscal_code=spec.holder_fiscal_code,
            holder_name=spec.holder_name,
            share_percent=spec.share_percent,
            school_total=school,
            nursery_total=nursery,
            lines=spec.lines,
            fingerprint=fingerprint,
            verification_code=_code(),
        )
        if old is not None:
            old.replaced_by = certificate
            old.save(update_fields=["replaced_by"])
            result.replaced += 1
        result.issued += 1
        result.certificate_ids.append(certificate.pk)
        # The worker renders and stores the PDF: neither the download nor the e-mail's link does it in a request.
        transaction.on_commit(partial(tasks.certificate_pdf_task.delay, certificate.pk))
    for stale in current.values():  # a holder with nothing left this year (a refund took it all, a split changed)
        stale.status = TaxCertificate.Status.REPLACED
        stale.save(update_fields=["status"])
        result.replaced += 1
    return result


def expense_split_declare(*, user: User, child: Child, year: int, shares: list[tuple[str, Decimal]]) -> ExpenseSplit:
    """Declare how the child's spending of `year` is shared: (adult's CF, percent) pairs adding up to 100, every
    adult an active guardian of the child, declared by one of them."""
    family = _guardians(child)
    if user.codice_fiscale not in family:
        raise PaymentsError(_("Solo un adulto del bambino può dichiarare la ripartizione."))
    total = sum((percent for _cf, percent in shares), Decimal(0))
    if total != 100:
        raise PaymentsError(_("Le percentuali devono fare 100 (ora fanno %(total)s).") % {"total": total})
    if any(percent <= 0 for _cf, percent in shares) or len({cf for cf, _p in shares}) != len(shares):
        raise PaymentsError(_("Ogni adulto una volta sola, con una percentuale maggiore di zero."))
    strangers = [cf for cf, _p in shares if cf not in family]
    if strangers:
        raise PaymentsError(
            _("Non è un adulto di riferimento o delegato del bambino: %(cf)s.") % {"cf": ", ".join(strangers)}
        )
    rows = [
        {"fiscal_code": cf, "name": family[cf][0], "percent": str(percent.quantize(CENT))} for cf, percent in shares
    ]
    split, _created = ExpenseSplit.objects.update_or_create(
        child=child, year=year, defaults={"shares": rows, "declared_by": user, "declared_at": timezone.now()}
    )
    return split


PROGRESS_KEY = "payments:certificates-progress:{year}"
EMAIL_TEMPLATE = "tax_certificate_issued"


def certificate_children(*, year: int) -> list[int]:
    """The children with a receipt or a refund in the year (the ones that may get a certificate)."""
    start, end = _year_bounds(year)
    paid = Receipt.objects.filter(paid_at__gte=start, paid_at__lt=end, notice__isnull=False).values_list(
        "notice__child_id", flat=True
    )
    refunded = LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.REFUND, created_at__gte=start, created_at__lt=end
    ).values_list("child_id", flat=True)
    return sorted(set(paid) | set(refunded))


def emails_for_issued(certificate_ids: list[int]) -> None:
    """E-mail the holders of these new certificates (those with an active account and an address)."""
    emails = _emails_for(certificate_ids)
    if emails:
        mail.email_enqueue_many(emails)


def _emails_for(certificate_ids: list[int]) -> list[mail.TemplateEmail]:
    rows = TaxCertificate.objects.filter(pk__in=certificate_ids).select_related("child")
    holders = dict(
        User.objects.filter(codice_fiscale__in=[row.holder_fiscal_code for row in rows], is_active=True)
        .exclude(email="")
        .values_list("codice_fiscale", "email")
    )
    emails = []
    for row in rows:
        if row.holder_fiscal_code in holders:
            context = {
                "holder_name": row.holder_name,
                "child_name": f"{row.child.first_name} {row.child.last_name}",
                "year": row.year,
                "url": portal_url(reverse("payments:certificates")),
                "comune": settings.PORTAL_COMUNE_NAME,
            }
            emails.append(mail.TemplateEmail(EMAIL_TEMPLATE, [holders[row.holder_fiscal_code]], context))
    return emails


def certificates_issue_year(*, year: int, progress: Callable[..., None] | None = None) -> IssueResult:
    """Issue the year's certificates for every child (one transaction per child), e-mailing the new ones."""
    total = IssueResult()
    children = certificate_children(year=year)
    for index, child in enumerate(Child.objects.filter(pk__in=children).order_by("pk").iterator(chunk_size=500), 1):
        with transaction.atomic():
            result = certificates_issue(child=child, year=year)
            emails_for_issued(result.certificate_ids)
        total.issued += result.issued
        total.unchanged += result.unchanged
        total.replaced += result.replaced
        if progress is not None:
            progress(done=index, total=len(children))
    return total


def certificates_refresh_if_issued(*, child_id: int, when: datetime.datetime) -> None:
    """A late receipt (or refund) for a year whose certificates were already issued: issue them again after commit
    (only the changed ones are replaced). Years without certificates wait for the office's yearly issue."""
    year = timezone.localtime(when).year
    if TaxCertificate.objects.filter(child_id=child_id, year=year).exists():
        transaction.on_commit(lambda: tasks.certificates_refresh_task.delay(child_id, year))
