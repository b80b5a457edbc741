"""Reads of the site's pages that span every app: the family page's summary, cached per user.

`family_summary_for_user` is what the family page shows of the family (children, enrollments and their states,
balances, notices to pay), computed by the apps' selectors and kept in the shared cache until a service that
changes it calls `accounts.services.family_summary_invalidate` (portal.family_cache explains how). What moves
without the family doing anything is kept out of the cache and read on every request: the waiting-list
positions (other families' enrollments move them).
"""

from dataclasses import dataclass, replace

from django.utils import timezone

from accounts import selectors as account_selectors
from accounts.models import Invitation, User
from accounts.selectors import ChildCard
from enrollment import selectors as enrollment_selectors
from enrollment.selectors import EnrollmentCard
from payments import selectors as payment_selectors
from payments.models import Balance
from portal import family_cache

FAMILY_PART = "family"


@dataclass(frozen=True)
class FamilySummary:
    children: list[ChildCard]
    enrollment_cards: list[EnrollmentCard]
    balances: list[Balance]
    open_notices_count: int
    received_invitations: list[Invitation]


def _family_summary_compute(user: User) -> FamilySummary:
    return FamilySummary(
        children=account_selectors.child_cards_for_user(user=user),
        enrollment_cards=enrollment_selectors.enrollment_cards_without_positions_for_user(user=user),
        balances=payment_selectors.balance_list_for_user(user=user),
        open_notices_count=payment_selectors.notices_open_count_for_user(user=user),
        received_invitations=account_selectors.invitations_received_for_user(user=user),
    )


def family_summary_for_user(*, user: User) -> FamilySummary:
    """The family page's summary of the user's family: cached (no query when valid), waiting positions current."""
    summary = family_cache.family_cached(
        user_id=user.pk, part=FAMILY_PART, compute=lambda: _family_summary_compute(user)
    )
    cards = enrollment_selectors.enrollment_cards_positions_fill(cards=summary.enrollment_cards)
    now = timezone.now()
    invitations = [invitation for invitation in summary.received_invitations if invitation.expires_at > now]
    return replace(summary, enrollment_cards=cards, received_invitations=invitations)
