"""The yearly tax certificates (attestazioni delle spese): issued per creditor, child, person and calendar year from
the rules in `certificate_rules`, with a verification code; issued again (the old one kept, marked replaced) when a
late receipt or a refund changes a year already issued; nothing happens when nothing changed.

The year's issue works in batches of children: each batch reads its receipts, refunds, adults, splits and current
certificates in one query per table and writes the new certificates in one insert, so the cost per certificate
does not grow with the number of children (bench.certificates).
"""

import datetime
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

from accounts.models import Child, User
from portal import mail
from portal.money import CENT

from .. import tasks
from ..errors import PaymentsError
from ..models import ExpenseSplit, LedgerEntry, Receipt, TaxCertificate
from .certificate_rules import CertificateSpec, child_specs, year_bounds, year_data
from .notify import portal_url

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper
BATCH = 500  # children per transaction in the year's issue
PROGRESS_KEY = "payments:certificates-progress:{year}"
EMAIL_TEMPLATE = "tax_certificate_issued"


def certificate_specs(*, child: Child, year: int) -> list[CertificateSpec]:
    """Who gets a certificate for the child and year (per creditor), with which payments."""
    return child_specs(child.pk, year_data(child_ids=[child.pk], year=year))


def _code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))


@dataclass
class IssueResult:
    issued: int = 0
    unchanged: int = 0
    replaced: int = 0
    certificate_ids: list[int] = field(default_factory=list)

    def add(self, other: "IssueResult") -> None:
        self.issued += other.issued
        self.unchanged += other.unchanged
        self.replaced += other.replaced
        self.certificate_ids += other.certificate_ids


def _new_certificate(child_id: int, year: int, spec: CertificateSpec, fingerprint: str) -> TaxCertificate:
    school, nursery, donation = spec.totals()
    return TaxCertificate(
        year=year,
        child_id=child_id,
        holder_fiscal_code=spec.holder_fiscal_code,
        holder_name=spec.holder_name,
        creditor_fiscal_code=spec.creditor_fiscal_code,
        creditor_name=spec.creditor_name,
        share_percent=spec.share_percent,
        school_total=school,
        nursery_total=nursery,
        donation_total=donation,
        lines=spec.lines,
        fingerprint=fingerprint,
        verification_code=_code(),
    )


def _key(creditor_cf: str, holder_cf: str) -> tuple[str, str]:
    return (creditor_cf or settings.PAGOPA_CREDITOR_FISCAL_CODE, holder_cf)


@transaction.atomic
def certificates_issue_batch(*, child_ids: list[int], year: int) -> IssueResult:
    """Issue (or issue again) the certificates of these children for the year, in one transaction: a certificate
    whose data did not change stays; a changed one is replaced; a holder with nothing left is marked replaced."""
    result = IssueResult()
    current: dict[int, dict[tuple[str, str], TaxCertificate]] = {}
    rows = TaxCertificate.objects.select_for_update().filter(
        child_id__in=child_ids, year=year, status=TaxCertificate.Status.ISSUED
    )
    for row in rows:
        current.setdefault(row.child_id, {})[_key(row.creditor_fiscal_code, row.holder_fiscal_code)] = row
    data = year_data(child_ids=child_ids, year=year)
    new: list[TaxCertificate] = []
    replaced: list[tuple[TaxCertificate, int]] = []  # (old, index of its successor in `new`)
    stale: list[TaxCertificate] = []
    for child_id in child_ids:
        old_rows = current.get(child_id, {})
        for spec in child_specs(child_id, data):
            old = old_rows.pop(_key(spec.creditor_fiscal_code, spec.holder_fiscal_code), None)
            fingerprint = spec.fingerprint()
            if old is not None and old.fingerprint == fingerprint:
                result.unchanged += 1
                continue
            if old is not None:
                replaced.append((old, len(new)))
            new.append(_new_certificate(child_id, year, spec, fingerprint))
        stale += old_rows.values()  # a holder with nothing left this year (a refund took it all, a split changed)
    old_ids = [old.pk for old, _index in replaced] + [row.pk for row in stale]
    TaxCertificate.objects.filter(pk__in=old_ids).update(status=TaxCertificate.Status.REPLACED)
    created = TaxCertificate.objects.bulk_create(new, batch_size=1000)
    for old, index in replaced:
        old.replaced_by = created[index]
    TaxCertificate.objects.bulk_update([old for old, _index in replaced], ["replaced_by"], batch_size=1000)
    result.issued = len(created)
    result.replaced = len(replaced) + len(stale)
    result.certificate_ids = [certificate.pk for certificate in created]
    # The worker renders and stores the PDFs: neither the download nor the e-mail's link does it in a request.
    for certificate_id in result.certificate_ids:
        transaction.on_commit(partial(tasks.certificate_pdf_task.delay, certificate_id))
    return result


def certificates_issue(*, child: Child, year: int) -> IssueResult:
    """Issue (or issue again) one child's certificates of the year (a late receipt, a refund, a split)."""
    return certificates_issue_batch(child_ids=[child.pk], year=year)


def expense_split_declare(*, user: User, child: Child, year: int, shares: list[tuple[str, Decimal]]) -> ExpenseSplit:
    """Declare how the child's spending of `year` is shared: (adult's CF, percent) pairs adding up to 100, every
    adult an active guardian of the child, declared by one of them."""
    family = year_data(child_ids=[child.pk], year=year).families.get(child.pk, {})
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


def certificate_children(*, year: int) -> list[int]:
    """The children with a receipt or a refund in the year (the ones that may get a certificate)."""
    start, end = year_bounds(year)
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
    """Issue the year's certificates for every child, BATCH children per transaction, e-mailing the new ones."""
    total = IssueResult()
    children = certificate_children(year=year)
    for start in range(0, len(children), BATCH):
        with transaction.atomic():
            result = certificates_issue_batch(child_ids=children[start : start + BATCH], year=year)
            emails_for_issued(result.certificate_ids)
        total.add(result)
        if progress is not None:
            progress(done=min(start + BATCH, len(children)), total=len(children))
    total.certificate_ids = []  # not kept for a whole year (10,000s)
    return total


def certificates_refresh_if_issued(*, child_id: int, when: datetime.datetime) -> None:
    """A late receipt (or refund) for a year whose certificates were already issued: issue them again after commit
    (only the changed ones are replaced). Years without certificates wait for the office's yearly issue."""
    year = timezone.localtime(when).year
    if TaxCertificate.objects.filter(child_id=child_id, year=year).exists():
        transaction.on_commit(lambda: tasks.certificates_refresh_task.delay(child_id, year))
