"""Notices the office issues by hand: a one-off amount (a late fee, a lost card, a correction) for a child and a
service, to one of the child's adults, through `notice_issue` like every other notice (IUV, publication after
commit, PDF, ledger debit, the payer's e-mail).
"""

import datetime
import itertools
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Child, Guardianship, User
from accounts.selectors import reference_adults_of_children
from portal.money import quantize_eur

from ..errors import AmountError, NoticeDataError, PayerError
from ..models import PaymentNotice
from .fees import _add_months
from .notices import notice_issue
from .validation import MAX_INSTALMENTS, amount_check

OFFICE_NOTICE_MAX = Decimal("5000.00")  # a one-off notice above this is a typing error, not a late fee


def notice_payer_default(*, child: Child) -> User | None:
    """The child's adult of reference (active), who normally pays."""
    return reference_adults_of_children(child_ids=[child.pk]).get(child.pk)


def _payer_check(*, child: Child, payer: User | None) -> User:
    if payer is None:
        reference = notice_payer_default(child=child)
        if reference is None:
            raise PayerError(
                _("Il bambino non ha un adulto di riferimento attivo: indica il codice fiscale di chi paga.")
            )
        return reference
    guardian = Guardianship.objects.filter(child=child, adult=payer, revoked_at__isnull=True).exists()
    if not guardian or not payer.is_active:
        raise PayerError(
            _("Il pagatore deve essere l'adulto di riferimento o un delegato attivo di %(child)s.")
            % {"child": f"{child.first_name} {child.last_name}"}
        )
    return payer


def instalments_split(*, total: Decimal, due_dates: list[datetime.date]) -> list[tuple[Decimal, datetime.date]]:
    """`total` in as many equal instalments as due dates (the last one takes the rounding cents)."""
    count = len(due_dates)
    share = quantize_eur(total / count)
    last = total - share * (count - 1)
    if share <= 0 or last <= 0:
        raise AmountError(_("L'importo è troppo piccolo per %(n)d rate.") % {"n": count})
    return [(share, due) for due in due_dates[:-1]] + [(last, due_dates[-1])]


def instalment_due_dates(
    *, count: int, due_date: datetime.date, given: list[datetime.date] | None
) -> list[datetime.date]:
    """The rate's due dates: those given (as many as the rate, in order), else one a month from `due_date`."""
    if not 1 <= count <= MAX_INSTALMENTS:
        raise NoticeDataError(_("Le rate devono essere da 1 a %(max)d.") % {"max": MAX_INSTALMENTS})
    if count == 1:
        return []
    if not given:
        return [_add_months(due_date, index) if index else due_date for index in range(count)]
    if len(given) != count:
        raise NoticeDataError(
            _("Hai indicato %(given)d scadenze per %(count)d rate: ne serve una per rata.")
            % {"given": len(given), "count": count}
        )
    if any(later <= earlier for earlier, later in itertools.pairwise(given)):
        raise NoticeDataError(_("Le scadenze delle rate devono essere in ordine, una dopo l'altra."))
    today = timezone.localdate()
    if given[0] < today:
        raise NoticeDataError(_("La scadenza della prima rata non può essere nel passato."))
    return list(given)


@transaction.atomic
def notice_issue_oneoff(
    *,
    child: Child,
    payer: User | None,
    service_kind: str,
    amount: Decimal | str,
    causale: str,
    due_date: datetime.date,
    instalments: int = 1,
    instalment_dates: list[datetime.date] | None = None,
    actor: User,
) -> PaymentNotice:
    """Issue the office's one-off notice to `payer` (None: the child's adult of reference) for `child`.

    The payer must be an active guardian of the child; the amount above zero and at most OFFICE_NOTICE_MAX; the
    due date not in the past; 1-12 rate (equal amounts; due dates given, else monthly from `due_date`).
    """
    paying = _payer_check(child=child, payer=payer)
    value = amount_check(amount, maximum=OFFICE_NOTICE_MAX)
    dues = instalment_due_dates(count=instalments, due_date=due_date, given=instalment_dates)
    return notice_issue(
        child=child,
        service_kind=service_kind,
        purpose=PaymentNotice.Purpose.FEE,
        amount=value,
        causale=causale,
        due_date=due_date,
        payer=paying,
        created_by=actor,
        instalments=instalments_split(total=value, due_dates=dues) if dues else None,
    )
