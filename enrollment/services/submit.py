"""The parent's tariff preview, submission and withdrawal.

Refusals raise `enrollment.errors.EnrollmentError` subclasses: str(error) is the message for the user; nothing is
half-saved.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from itertools import chain

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from accounts.services import family_summary_invalidate
from portal.errors import TransitionNotAllowedError
from portal.mail import attachment

from .. import hooks
from ..errors import ENROLLMENT_STATE_CHANGED, EnrollmentNotFoundError, MissingDataError
from ..models import Enrollment, MedicalDiet, Route, SchoolYear
from ..selectors import PARENT_WITHDRAWABLE
from ..tariffs import Tariff
from .common import (
    enrollment_lock,
    event_record,
    guardian_check,
    is_transport,
    reference_adult_id,
    sibling_rank_for,
    tariff_for,
    window_check,
)
from .fields import consistency_check
from .mails import Mail, mails_send
from .transitions import positions_of, transition_one

Status = Enrollment.Status

RECEIPT_ATTACHMENT = "enrollment.receipt_pdf"


# --- tariff preview and submission ---------------------------------------------------------------------------


def enrollment_tariff_preview(*, enrollment: Enrollment, today: datetime.date | None = None) -> Tariff:
    """The tariff the enrollment would get if submitted now (sibling rank included). TariffNotConfiguredError
    when the office has not published the plan."""
    today = today or timezone.localdate()
    if enrollment.tariff_amount is not None and enrollment.status != Status.DRAFT:
        return Tariff(amount=enrollment.tariff_amount, unit=enrollment.service.unit, steps=enrollment.tariff_steps)
    rank = sibling_rank_for(enrollment=enrollment, reference_id=reference_adult_id(enrollment.child_id))
    return tariff_for(enrollment=enrollment, sibling_rank=rank, today=today)


Missing = tuple[str, str, str]  # message, wizard step, field


def _school_missing(enrollment: Enrollment) -> Iterator[Missing]:
    if enrollment.school_id is None:
        yield gettext("Scegli la scuola."), "school", "school"
    if enrollment.resident is None:
        yield gettext("Indica se il bambino è residente nel Comune."), "school", "resident"


def _isee_missing(enrollment: Enrollment) -> Iterator[Missing]:
    if enrollment.isee_presented is None:
        yield gettext("Indica se presenti l'ISEE."), "isee", "isee_presented"
    if not enrollment.isee_presented:
        return
    if enrollment.isee_amount is None:
        yield gettext("Scrivi il valore ISEE."), "isee", "isee_amount"
    if not enrollment.isee_protocol:
        yield gettext("Scrivi il numero di protocollo della DSU."), "isee", "isee_protocol"
    if enrollment.isee_expires_on is None:
        yield gettext("Scrivi la data di scadenza dell'ISEE."), "isee", "isee_expires_on"


def _transport_missing(enrollment: Enrollment) -> Iterator[Missing]:
    if not is_transport(enrollment):
        return
    if enrollment.route_id is None:
        yield gettext("Scegli la linea."), "transport", "route"
    if enrollment.stop_id is None:
        yield gettext("Scegli la fermata."), "transport", "stop"
    if not enrollment.direction:
        yield gettext("Scegli il percorso (andata, ritorno o entrambi)."), "transport", "direction"


def _diet_missing(enrollment: Enrollment) -> Iterator[Missing]:
    if enrollment.diet == Enrollment.Diet.MEDICAL and not MedicalDiet.objects.filter(enrollment=enrollment).exists():
        yield gettext("Scrivi le indicazioni per la dieta medica."), "diet", "details"


def _required_check(enrollment: Enrollment, *, declarations: bool) -> None:
    """The first answer the submission needs and the draft lacks → MissingDataError (with its step and field)."""
    missing = chain(
        _school_missing(enrollment),
        _isee_missing(enrollment),
        _transport_missing(enrollment),
        _diet_missing(enrollment),
    )
    for message, step, field in missing:
        raise MissingDataError(message, step=step, field=field)
    if not declarations and enrollment.declarations_accepted_at is None:
        raise MissingDataError(
            gettext("Per inviare l'iscrizione devi confermare le dichiarazioni."),
            step="declarations",
            field="declarations",
        )


def _protocol_next(school_year_id: int) -> str:
    """ "ISC-<year>-<6 digits>", consecutive within a school year (the year row is locked until commit)."""
    year = SchoolYear.objects.select_for_update().get(pk=school_year_id)
    prefix = f"ISC-{year.starts_on.year}-"
    last = (
        Enrollment.objects.filter(protocol__startswith=prefix).order_by("-protocol").values_list("protocol", flat=True)
    ).first()
    number = int(last.removeprefix(prefix)) + 1 if last and last.removeprefix(prefix).isdigit() else 1
    return f"{prefix}{number:06d}"


def _status_on_submit(enrollment: Enrollment, route: Route | None) -> str:
    """SUBMITTED, or WAITLISTED when the (locked) route of a transport enrollment has no free seat."""
    if route is not None and is_transport(enrollment):
        taken = Enrollment.objects.filter(route_id=route.pk, status__in=Enrollment.SEAT_STATUSES).count()
        if taken >= route.capacity:
            return Status.WAITLISTED
    return Status.SUBMITTED


@transaction.atomic
def enrollment_submit(
    *,
    enrollment: Enrollment,
    user: User,
    declarations: bool = False,
    staff: bool = False,
    now: datetime.datetime | None = None,
) -> Enrollment:
    """DRAFT → SUBMITTED, or WAITLISTED when the route is full (transport), frozen and e-mailed with the receipt.

    The window is checked again at this moment (unless `staff`): a form kept open or replayed after the close
    is refused. The tariff, sibling rank and protocol are frozen; capacity holds under concurrent submissions
    (the route row is locked). Already submitted → returned as is.
    """
    check_time = now or timezone.now()
    route, locked = enrollment_lock(enrollment.pk)
    guardian_check(user=user, child_id=locked.child_id, staff=staff)
    if locked.status in (Status.SUBMITTED, Status.WAITLISTED):
        return locked
    if locked.status != Status.DRAFT:
        raise TransitionNotAllowedError(ENROLLMENT_STATE_CHANGED)
    if not staff:
        window_check(service_id=locked.service_id, school_year_id=locked.school_year_id, now=check_time)
    _required_check(locked, declarations=declarations)
    consistency_check(locked)
    if not staff:  # the office may always enroll: it decides on arrears itself
        hooks.submit_checks_run(enrollment=locked)

    reference_id = reference_adult_id(locked.child_id)
    if reference_id is not None:  # siblings submitted at the same moment get distinct ranks
        list(User.objects.select_for_update().filter(pk=reference_id).values_list("pk", flat=True))
    submitted_at = now or timezone.now()  # after the locks: the order of the waiting list is the order of seats
    rank = sibling_rank_for(enrollment=locked, reference_id=reference_id, before=submitted_at)
    locked.sibling_rank = rank
    tariff = tariff_for(enrollment=locked, sibling_rank=rank, today=timezone.localdate(submitted_at))

    status = _status_on_submit(locked, route)
    locked.status = status
    locked.protocol = _protocol_next(locked.school_year_id)
    locked.tariff_amount = tariff.amount
    locked.tariff_steps = tariff.steps
    locked.submitted_at = submitted_at
    locked.submitted_by = user
    if declarations and locked.declarations_accepted_at is None:
        locked.declarations_accepted_at = submitted_at
    locked.diet_status = (
        Enrollment.DietStatus.NONE if locked.diet == Enrollment.Diet.NONE else Enrollment.DietStatus.REQUESTED
    )
    locked.save()
    family_summary_invalidate(child_ids=[locked.child_id])
    event_record(
        enrollment=locked,
        actor=user,
        from_status=Status.DRAFT,
        to_status=status,
        action="submitted",
        note="Lista d'attesa: linea piena." if status == Status.WAITLISTED else "",
        at=submitted_at,
    )
    position = positions_of([locked]).get(locked.pk) if status == Status.WAITLISTED else None
    mails_send(
        [
            Mail(
                "enrollment_submitted",
                locked,
                {
                    "waitlisted": status == Status.WAITLISTED,
                    "position": position,
                    "diet_requested": locked.diet != Enrollment.Diet.NONE,
                    "submitted_at": submitted_at,
                },
                [attachment(RECEIPT_ATTACHMENT, enrollment_id=locked.pk)],
            )
        ]
    )
    return locked


@transaction.atomic
def enrollment_withdraw(*, enrollment: Enrollment, user: User, staff: bool = False) -> Enrollment:
    """SUBMITTED, WAITLISTED or ACCEPTED → WITHDRAWN by a guardian (or staff); a freed seat goes to the first
    waiting on the route, in the same transaction."""
    child_id = Enrollment.objects.filter(pk=enrollment.pk).values_list("child_id", flat=True).first()
    if child_id is None:
        raise EnrollmentNotFoundError
    guardian_check(user=user, child_id=child_id, staff=staff)
    return transition_one(
        enrollment=enrollment,
        actor=user,
        target=Status.WITHDRAWN,
        allowed_from=PARENT_WITHDRAWABLE,
        action="withdrawn",
        offer_freed_seats=True,
    )
