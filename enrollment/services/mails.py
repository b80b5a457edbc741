"""The e-mails of enrollment services: who gets them and what they may say (never health data, never the ISEE).

The outcome of an application (accepted, refused, waitlisted, a seat offered) also goes to the adult of reference
in the app IO, as they chose (portal.notify); diets never do (health data)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from accounts.models import Guardianship
from accounts.selectors import reference_adults_of_children
from portal import mail
from portal.io import IoContent
from portal.models import NotifyKind
from portal.notify import Notification, notify_many

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


IO_OUTCOMES = {"enrollment_accepted", "enrollment_rejected", "enrollment_waitlisted", "enrollment_seat_offered"}


def _outcome_io(item: Mail, context: dict[str, Any], reference: tuple[int, str] | None) -> IoContent | None:
    if item.template not in IO_OUTCOMES or reference is None:
        return None
    return IoContent(
        kind=NotifyKind.ENROLLMENT,
        service=item.row.service.kind,
        fiscal_code=reference[1],
        template=item.template,
        context={key: value for key, value in context.items() if key != "reason"},  # the reason stays in the e-mail
    )


def mails_send(mails: list[Mail]) -> int:
    """Render every e-mail (and the outcome's IO message) and write them to the outbox in one insert per channel;
    delivery is queued after commit. One recipient, the adult of reference: their channel decides the e-mail too;
    several: the e-mail goes to all, the IO message to the adult of reference as they chose."""
    if not mails:
        return 0
    child_ids = {m.row.child_id for m in mails}
    guardians = guardians_by_child(child_ids)
    references = {
        child_id: (adult.pk, adult.codice_fiscale)
        for child_id, adult in reference_adults_of_children(child_ids=child_ids).items()
    }
    items: list[Notification] = []
    for item in mails:
        to = recipients(item.row, guardians.get(item.row.child_id, []))
        if not to:
            continue
        context = email_context(item.row, **item.extra)
        email = mail.TemplateEmail(item.template, to, context, tuple(item.attachments))
        reference = references.get(item.row.child_id)
        io = _outcome_io(item, context, reference)
        sole = (
            reference is not None
            and len(to) == 1
            and (reference[0], to[0])
            in {(adult, address) for adult, address, _role in guardians.get(item.row.child_id, [])}
        )
        if sole and reference is not None:
            items.append(Notification(reference[0], NotifyKind.ENROLLMENT, email, io))
        else:
            items.append(Notification(None, NotifyKind.ENROLLMENT, email))
            if io is not None and reference is not None:
                items.append(Notification(reference[0], NotifyKind.ENROLLMENT, None, io))
    return notify_many(items)
