"""The e-mails of enrollment services: who gets them and what they may say (never health data, never the ISEE)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from accounts.models import Guardianship
from portal import mail

from .. import tariffs
from ..models import Enrollment

# --- e-mails -------------------------------------------------------------------------------------------------


def guardians_by_child(child_ids: Iterable[int]) -> dict[int, list[tuple[int, str, str]]]:
    """(adult id, e-mail, role) of every active guardian of these children: one query."""
    result: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    rows = Guardianship.objects.filter(child_id__in=set(child_ids), revoked_at__isnull=True).values_list(
        "child_id", "adult_id", "adult__email", "role"
    )
    for child_id, adult_id, email, role in rows:
        result[child_id].append((adult_id, email, role))
    return result


def recipients(row: Enrollment, guardians: list[tuple[int, str, str]]) -> list[str]:
    """The adult of reference, and whoever submitted if still a guardian of the child (staff are not copied)."""
    emails = [email for _adult, email, role in guardians if role == Guardianship.Role.REFERENCE]
    if row.submitted_by_id:
        emails += [email for adult, email, _role in guardians if adult == row.submitted_by_id]
    if not emails:  # no adult of reference any more: every active guardian
        emails = [email for _adult, email, _role in guardians]
    unique: list[str] = []
    for email in emails:
        if email and email not in unique:
            unique.append(email)
    return unique


def _absolute(path: str) -> str:
    domain = settings.PORTAL_DOMAIN
    scheme = "http" if domain.startswith(("127.", "localhost")) or settings.DEBUG else "https"
    return f"{scheme}://{domain}{path}"


def family_url() -> str:
    try:
        path = reverse("accounts:family")
    except NoReverseMatch:  # pragma: no cover - the family page always exists
        path = "/"
    return _absolute(path)


def _prepaid_context(row: Enrollment) -> dict[str, Any]:
    """A prepaid service (the canteen): meals are paid from the child's balance, which the family tops up; the
    tariff per meal, an example ("20 pasti = 56,00 €") and the top-up page (the euro filter writes the amounts)."""
    if not row.service.prepaid:
        return {"prepaid": False}
    try:
        topup = reverse("payments:topup")
    except NoReverseMatch:  # pragma: no cover - the payments pages are always installed
        topup = "/"
    return {
        "prepaid": True,
        "meal_price": row.tariff_amount,
        "meals_example_count": tariffs.MEALS_EXAMPLE,
        "meals_example_amount": tariffs.meals_example(row.tariff_amount),
        "topup_url": _absolute(f"{topup}?child={row.child_id}&service={row.service.kind}"),
    }


def email_context(row: Enrollment, **extra: Any) -> dict[str, Any]:
    """What every enrollment e-mail may say: never health data, never the ISEE."""
    return {
        "comune": settings.PORTAL_COMUNE_NAME,
        "comune_email": settings.PORTAL_COMUNE_EMAIL,
        "child_name": f"{row.child.first_name} {row.child.last_name}",
        "service_name": row.service.name,
        "service_in_sentence": row.service.name_in_sentence,
        "school_year": row.school_year.name,
        "school_name": row.school.name if row.school is not None else "",
        "route_name": row.route.name if row.route is not None else "",
        "protocol": row.protocol or "",
        "family_url": family_url(),
        **_prepaid_context(row),
        **extra,
    }


@dataclass
class Mail:
    template: str
    row: Enrollment
    extra: dict[str, Any] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)


def mails_send(mails: list[Mail]) -> int:
    """Render every e-mail and write them to the outbox in one insert; delivery is queued after commit."""
    if not mails:
        return 0
    guardians = guardians_by_child({m.row.child_id for m in mails})
    emails = []
    for item in mails:
        to = recipients(item.row, guardians.get(item.row.child_id, []))
        if to:
            context = email_context(item.row, **item.extra)
            emails.append(mail.TemplateEmail(item.template, to, context, tuple(item.attachments)))
    return len(mail.email_enqueue_many(emails))
