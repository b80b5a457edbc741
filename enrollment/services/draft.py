"""The parent's draft: start or resume (prefilled from last year), one wizard step at a time, the medical diet and
its certificate, discard.

Every value is checked again here (`fields`), whatever the form did: a replayed or tampered form gets a clear
message and nothing is saved (each function is one transaction and raises before writing).
"""

from __future__ import annotations

import secrets
from functools import partial

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Child, User
from accounts.services import family_summary_invalidate
from portal.errors import TransitionNotAllowedError
from portal.files import file_delete_on_rollback

from ..errors import CertificateError, DuplicateEnrollmentError, EnrollmentNotFoundError, InvalidChoiceError
from ..models import Enrollment, MedicalDiet, Route, SchoolClass, SchoolYear, Service, ServiceKind, Stop
from .common import can_edit_as_office, event_record, guardian_check, window_check
from .fields import (
    DIET_SERVICES,
    PICKUP_SERVICES,
    StepData,
    consistency_check,
    fields_apply,
    route_serves,
    served_school_ids,
)

Status = Enrollment.Status

CERTIFICATE_MAX_BYTES = 5 * 1024 * 1024
CERTIFICATE_KINDS = ((b"%PDF-", ".pdf"), (b"\xff\xd8\xff", ".jpg"))

# --- draft -----------------------------------------------------------------------------------------------------


def _same_year_drafts_and_sources(enrollment: Enrollment) -> QuerySet[Enrollment]:
    """The child's other enrollments of the same year started by the same adult (withdrawn and rejected ones aside):
    what the family already answered this year, and nothing another adult entered (their ISEE is theirs to show)."""
    return (
        Enrollment.objects.filter(
            child_id=enrollment.child_id,
            school_year_id=enrollment.school_year_id,
            created_by_id=enrollment.created_by_id,
        )
        .exclude(pk=enrollment.pk)
        .exclude(status__in=(Status.WITHDRAWN, Status.REJECTED))
    )


def _carry_over(target: Enrollment, source: Enrollment) -> bool:
    """Fill the draft's blanks — school, class, residency, ISEE — from the same year's `source`; True if any.

    Only blanks: what the parent answered on this draft stays. The school only if this service serves it.
    """
    changed = False
    if target.school_id is None and source.school_id in served_school_ids(target.service_id):
        target.school_id = source.school_id
        changed = True
    if target.school_class_id is None and source.school_class_id and target.school_id == source.school_id:
        target.school_class_id = source.school_class_id
        changed = True
    if target.resident is None and source.resident is not None:
        target.resident = source.resident
        changed = True
    if target.isee_presented is None and source.isee_presented is not None:
        target.isee_presented = source.isee_presented
        target.isee_amount = source.isee_amount
        target.isee_protocol = source.isee_protocol
        target.isee_expires_on = source.isee_expires_on
        changed = True
    return changed


def _carry_over_to_sibling_drafts(source: Enrollment) -> None:
    """After a step of one draft, the child's other drafts of the year started together get the shared answers."""
    drafts = _same_year_drafts_and_sources(source).filter(status=Status.DRAFT).select_for_update(of=("self",))
    for draft in drafts.select_related("service", "school_year", "child", "school_class"):
        if not _carry_over(draft, source):
            continue
        try:
            consistency_check(draft)
        except InvalidChoiceError:
            continue  # e.g. a nursery group that does not fit this service: the parent answers on that draft
        draft.save()


def _prefill(enrollment: Enrollment, child: Child) -> None:
    """This year's shared answers from the child's other enrollment (school, class, residency, ISEE), then last
    year's answers for the same service for the rest (never last year's ISEE, never the medical details)."""
    same_year = _same_year_drafts_and_sources(enrollment).order_by("-updated_at", "-pk").first()
    if same_year is not None:
        _carry_over(enrollment, same_year)
    served = served_school_ids(enrollment.service_id)
    last = (
        Enrollment.objects.filter(
            child=child,
            service_id=enrollment.service_id,
            school_year__starts_on__lt=enrollment.school_year.starts_on,
        )
        .exclude(status=Status.DRAFT)
        .select_related("route", "stop", "school_class")
        .order_by("-school_year__starts_on", "-submitted_at", "-pk")
        .first()
    )
    if last is None:
        if enrollment.school_id is None and child.school_id in served:
            enrollment.school_id = child.school_id
            if child.class_name:
                enrollment.school_class = SchoolClass.objects.filter(
                    school_id=child.school_id, name__iexact=child.class_name.strip()
                ).first()
        return
    if enrollment.school_id is None and last.school_id in served:
        enrollment.school_id = last.school_id
        if last.school_class is not None and last.school_class.school_id == last.school_id:
            enrollment.school_class_id = last.school_class_id
    if enrollment.resident is None:
        enrollment.resident = last.resident
    if enrollment.service.kind in DIET_SERVICES:
        enrollment.diet = last.diet
        enrollment.diet_note = last.diet_note
    if enrollment.service.kind in PICKUP_SERVICES:
        enrollment.pickup_adults = last.pickup_adults
    if enrollment.service.kind == ServiceKind.TRANSPORT:
        enrollment.direction = last.direction
        _prefill_route(enrollment, last)


def _prefill_route(enrollment: Enrollment, last: Enrollment) -> None:
    """Last year's route and stop, by name, when this year has a route of that name serving the school."""
    if last.route is None:
        return
    route = Route.objects.filter(school_year_id=enrollment.school_year_id, name=last.route.name).first()
    if route is not None and route_serves(route, enrollment.school_id):
        enrollment.route = route
        if last.stop is not None:
            enrollment.stop = Stop.objects.filter(route=route, name=last.stop.name).first()


@transaction.atomic
def enrollment_draft_start(
    *, user: User, child_id: int, service_id: int, school_year_id: int, staff: bool = False
) -> Enrollment:
    """Resume the child's open draft for this service and year, or start one prefilled from last year.

    The child must be the user's (else 404) and the window open, unless `staff`. An enrollment already sent for
    the same child, service and year → DuplicateEnrollmentError.
    """
    guardian_check(user=user, child_id=child_id, staff=staff)
    child = Child.objects.select_for_update().filter(pk=child_id).first()  # one draft at a time per child
    service = Service.objects.filter(pk=service_id).first()
    school_year = SchoolYear.objects.filter(pk=school_year_id).first()
    if child is None or service is None or school_year is None:
        raise EnrollmentNotFoundError
    if not staff:
        window_check(service_id=service.pk, school_year_id=school_year.pk, now=timezone.now())
    existing = Enrollment.objects.filter(
        child=child, service=service, school_year=school_year, status__in=Enrollment.OPEN_STATUSES
    ).first()
    if existing is not None:
        if existing.status != Status.DRAFT:
            raise DuplicateEnrollmentError
        return existing
    enrollment = Enrollment(child=child, service=service, school_year=school_year, created_by=user)
    _prefill(enrollment, child)
    enrollment.save()
    event_record(enrollment=enrollment, actor=user, from_status="", to_status=Status.DRAFT, action="draft_started")
    family_summary_invalidate(child_ids=[enrollment.child_id])
    return enrollment


def _draft_lock(*, enrollment: Enrollment, user: User) -> Enrollment:
    rows = Enrollment.objects.select_for_update(of=("self",)).select_related("service", "school_year")
    locked = rows.filter(pk=enrollment.pk).first()
    if locked is None:
        raise EnrollmentNotFoundError
    if not can_edit_as_office(user):
        guardian_check(user=user, child_id=locked.child_id)
    if locked.status != Status.DRAFT:
        raise TransitionNotAllowedError(
            _(
                "L'iscrizione è già stata inviata e non si può più modificare: per cambiare qualcosa "
                "contatta l'ufficio."
            )
        )
    return locked


@transaction.atomic
def enrollment_draft_update(*, enrollment: Enrollment, user: User, step: str, data: StepData) -> Enrollment:
    """Save one wizard step's typed fields on a draft (model instances for school, school_class, route, stop;
    bool, Decimal, date, str for the rest: see `fields`).

    Every value is checked again (a form may be replayed or tampered with): a refusal saves nothing.
    """
    locked = _draft_lock(enrollment=enrollment, user=user)
    fields_apply(locked, data)
    consistency_check(locked)
    if locked.diet != Enrollment.Diet.MEDICAL:
        _medical_diet_delete(locked)
    locked.step = (step or "")[:20]
    locked.save()
    _carry_over_to_sibling_drafts(locked)
    family_summary_invalidate(child_ids=[locked.child_id])
    return locked


def _medical_diet_delete(enrollment: Enrollment) -> None:
    diet = MedicalDiet.objects.filter(enrollment=enrollment).first()
    if diet is None:
        return
    if diet.certificate:
        transaction.on_commit(partial(diet.certificate.storage.delete, diet.certificate.name))
    diet.delete()


@transaction.atomic
def enrollment_draft_discard(*, enrollment: Enrollment, user: User) -> None:
    """Delete a draft the parent no longer wants (with its medical diet and certificate)."""
    locked = _draft_lock(enrollment=enrollment, user=user)
    _medical_diet_delete(locked)
    locked.events.all().delete()
    locked.delete()
    family_summary_invalidate(child_ids=[locked.child_id])


def certificate_check(certificate: UploadedFile) -> str:
    """The file extension of a PDF or JPEG certificate, judged by its first bytes; else CertificateError."""
    if certificate.size is not None and certificate.size > CERTIFICATE_MAX_BYTES:
        raise CertificateError(gettext("Il certificato è troppo grande: al massimo 5 MB."))
    certificate.seek(0)
    head = certificate.read(8)
    certificate.seek(0)
    for magic, extension in CERTIFICATE_KINDS:
        if head.startswith(magic):
            return extension
    raise CertificateError(gettext("Il certificato deve essere un file PDF o una foto JPEG: questo file non lo è."))


@transaction.atomic
def enrollment_medical_diet_set(
    *, enrollment: Enrollment, user: User, details: str, certificate: UploadedFile | None = None
) -> MedicalDiet:
    """The medical diet of a draft: details (required) and the certificate (PDF or JPEG, ≤ 5 MB, stored under a
    random name). Sets the diet to "medical"."""
    locked = _draft_lock(enrollment=enrollment, user=user)
    if locked.service.kind not in DIET_SERVICES:
        raise InvalidChoiceError(field="diet")
    details = (details or "").strip()
    if not details:
        raise InvalidChoiceError(
            gettext("Scrivi le indicazioni mediche (allergie, intolleranze, patologie)."), field="details"
        )
    if len(details) > 4000:
        raise InvalidChoiceError(gettext("Testo troppo lungo: al massimo 4000 caratteri."), field="details")
    extension = certificate_check(certificate) if certificate is not None else None
    diet = MedicalDiet.objects.filter(enrollment=locked).first() or MedicalDiet(enrollment=locked)
    diet.details = details
    if certificate is not None:
        old_name = diet.certificate.name if diet.certificate else ""
        diet.certificate_name = (getattr(certificate, "name", "") or "")[-200:]
        diet.certificate.save(f"{secrets.token_hex(16)}{extension}", certificate, save=False)
        # On disk before the row is committed: gone again if this transaction (or the caller's) rolls back.
        file_delete_on_rollback(storage=diet.certificate.storage, name=diet.certificate.name)
        if old_name:  # the replaced file goes only once the new one is committed
            transaction.on_commit(partial(diet.certificate.storage.delete, old_name))
    diet.save()
    if locked.diet != Enrollment.Diet.MEDICAL:
        locked.diet = Enrollment.Diet.MEDICAL
        locked.diet_note = ""
        locked.save(update_fields=["diet", "diet_note", "updated_at"])
        family_summary_invalidate(child_ids=[locked.child_id])
    return diet
