"""The parent's draft: start or resume (prefilled from last year), one wizard step at a time, the medical diet and
its certificate, discard. Re-exported by `enrollment.services`.

Every value is checked again here, whatever the form did: a replayed or tampered form gets a clear message and
nothing is saved (each function is one transaction and raises before writing).
"""

from __future__ import annotations

import datetime
import secrets
from functools import partial

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Child, User
from portal.errors import TransitionNotAllowedError

from .errors import (
    CertificateError,
    DuplicateEnrollmentError,
    EnrollmentNotFoundError,
    InvalidChoiceError,
)
from .models import Enrollment, MedicalDiet, Route, School, SchoolClass, SchoolYear, Service, ServiceKind, Stop
from .services_common import can_edit_as_office, event_record, guardian_check, window_check
from .validators import parse_isee, validate_dsu_protocol

Status = Enrollment.Status

CERTIFICATE_MAX_BYTES = 5 * 1024 * 1024
CERTIFICATE_KINDS = ((b"%PDF-", ".pdf"), (b"\xff\xd8\xff", ".jpg"))

# The fields each wizard step may save (enrollment.step keeps the name of the last step saved).
STEP_FIELDS = {
    "school": ("school", "school_class", "resident"),
    "isee": ("isee_presented", "isee_amount", "isee_protocol", "isee_expires_on"),
    "diet": ("diet", "diet_note"),
    "transport": ("route", "stop", "direction", "pickup_adults"),
}
EDITABLE_FIELDS = (
    "school",
    "school_class",
    "resident",
    "isee_presented",
    "isee_amount",
    "isee_protocol",
    "isee_expires_on",
    "diet",
    "diet_note",
    "route",
    "stop",
    "direction",
    "pickup_adults",
)
TRANSPORT_FIELDS = ("route", "stop", "direction")
DIET_SERVICES = (ServiceKind.CANTEEN, ServiceKind.NURSERY)
PICKUP_SERVICES = (ServiceKind.TRANSPORT, ServiceKind.NURSERY)
ETHICAL_DIETS = (Enrollment.Diet.NO_PORK, Enrollment.Diet.NO_MEAT, Enrollment.Diet.VEGETARIAN, Enrollment.Diet.OTHER)


# --- draft -----------------------------------------------------------------------------------------------------


def _served_school_ids(service_id: int) -> set[int]:
    return set(School.objects.filter(services__pk=service_id).values_list("pk", flat=True))


def _route_serves(route: Route, school_id: int | None) -> bool:
    schools = set(route.schools.values_list("pk", flat=True))
    return not schools or school_id in schools


def _prefill(enrollment: Enrollment, child: Child) -> None:
    """Copy last year's answers for the same service (never the ISEE, never the medical details)."""
    served = _served_school_ids(enrollment.service_id)
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
        if child.school_id in served:
            enrollment.school_id = child.school_id
            if child.class_name:
                enrollment.school_class = SchoolClass.objects.filter(
                    school_id=child.school_id, name__iexact=child.class_name.strip()
                ).first()
        return
    if last.school_id in served:
        enrollment.school_id = last.school_id
        if last.school_class_id and last.school_class.school_id == last.school_id:
            enrollment.school_class_id = last.school_class_id
    enrollment.resident = last.resident
    if enrollment.service.kind in DIET_SERVICES:
        enrollment.diet = last.diet
        enrollment.diet_note = last.diet_note
    if enrollment.service.kind in PICKUP_SERVICES:
        enrollment.pickup_adults = last.pickup_adults
    if enrollment.service.kind == ServiceKind.TRANSPORT:
        enrollment.direction = last.direction
        if last.route_id:
            route = Route.objects.filter(school_year_id=enrollment.school_year_id, name=last.route.name).first()
            if route is not None and _route_serves(route, enrollment.school_id):
                enrollment.route = route
                if last.stop_id:
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
    return enrollment


def _draft_lock(*, enrollment: Enrollment, user: User) -> Enrollment:
    locked = Enrollment.objects.select_for_update(of=("self",)).select_related("service", "school_year")
    locked = locked.filter(pk=enrollment.pk).first()
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


def _instance(model, value, *, field: str, **scope):
    """A model instance from an instance or a pk (what a form or a tampered hidden field sends)."""
    if value in (None, ""):
        return None
    pk = getattr(value, "pk", value)
    try:
        found = model.objects.filter(pk=int(pk), **scope).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise InvalidChoiceError(field=field)
    return found


def _bool_or_none(value, *, field: str) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "si", "sì", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise InvalidChoiceError(field=field)


def _text(value, *, field: str, max_length: int) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > max_length:
        raise InvalidChoiceError(
            gettext("Testo troppo lungo: al massimo %(count)s caratteri.") % {"count": max_length}, field=field
        )
    return text


def _apply(enrollment: Enrollment, data: dict) -> None:
    """Write the given fields onto the (locked) draft, each checked on its own; cross-field rules come after."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidChoiceError(field=sorted(unknown)[0])
    kind = enrollment.service.kind
    if "school" in data:
        school = _instance(School, data["school"], field="school")
        if school is not None and school.pk != enrollment.school_id:
            enrollment.school = school
            if enrollment.school_class_id and "school_class" not in data:
                enrollment.school_class = None  # a class of the previous school
        elif school is None:
            enrollment.school = None
            enrollment.school_class = None
    if "school_class" in data:
        enrollment.school_class = _instance(SchoolClass, data["school_class"], field="school_class")
    if "resident" in data:
        enrollment.resident = _bool_or_none(data["resident"], field="resident")
    if "isee_presented" in data:
        enrollment.isee_presented = _bool_or_none(data["isee_presented"], field="isee_presented")
    if "isee_amount" in data:
        value = data["isee_amount"]
        try:
            enrollment.isee_amount = None if value in (None, "") else parse_isee(value)
        except ValidationError as exc:
            raise InvalidChoiceError(" ".join(exc.messages), field="isee_amount") from exc
    if "isee_protocol" in data:
        value = data["isee_protocol"] or ""
        try:
            enrollment.isee_protocol = validate_dsu_protocol(value) if str(value).strip() else ""
        except ValidationError as exc:
            raise InvalidChoiceError(" ".join(exc.messages), field="isee_protocol") from exc
    if "isee_expires_on" in data:
        value = data["isee_expires_on"]
        if value not in (None, "") and not isinstance(value, datetime.date):
            raise InvalidChoiceError(field="isee_expires_on")
        enrollment.isee_expires_on = value or None
    if "diet" in data:
        diet = data["diet"] or Enrollment.Diet.NONE
        if diet not in Enrollment.Diet.values or (kind not in DIET_SERVICES and diet != Enrollment.Diet.NONE):
            raise InvalidChoiceError(field="diet")
        enrollment.diet = diet
    if "diet_note" in data:
        enrollment.diet_note = _text(data["diet_note"], field="diet_note", max_length=200)
    if "pickup_adults" in data:
        if kind not in PICKUP_SERVICES and data["pickup_adults"]:
            raise InvalidChoiceError(field="pickup_adults")
        enrollment.pickup_adults = _text(data["pickup_adults"], field="pickup_adults", max_length=2000)
    if kind != ServiceKind.TRANSPORT:
        for name in TRANSPORT_FIELDS:
            if data.get(name) not in (None, ""):
                raise InvalidChoiceError(field=name)
        return
    if "route" in data:
        route = _instance(Route, data["route"], field="route")
        if (route.pk if route else None) != enrollment.route_id:
            enrollment.route = route
            if enrollment.stop_id and "stop" not in data:
                enrollment.stop = None  # a stop of the previous route
    if "stop" in data:
        stop = _instance(Stop, data["stop"], field="stop")
        enrollment.stop = stop
        if stop is not None and enrollment.route_id is None and "route" not in data:
            enrollment.route_id = stop.route_id
    if "direction" in data:
        direction = data["direction"] or ""
        if direction and direction not in Enrollment.Direction.values:
            raise InvalidChoiceError(field="direction")
        enrollment.direction = direction


def consistency_check(enrollment: Enrollment) -> None:
    """The cross-field rules (also what a tampered form could break). Raises InvalidChoiceError with the field."""
    if enrollment.school_id and enrollment.school_id not in _served_school_ids(enrollment.service_id):
        raise InvalidChoiceError(
            gettext("Il servizio scelto non è attivo in questa scuola: scegli una delle scuole dell'elenco."),
            field="school",
        )
    if enrollment.school_class_id and enrollment.school_class.school_id != enrollment.school_id:
        raise InvalidChoiceError(gettext("La classe scelta non è di questa scuola."), field="school_class")
    if enrollment.route_id:
        if enrollment.route.school_year_id != enrollment.school_year_id:
            raise InvalidChoiceError(gettext("La linea scelta non è di questo anno scolastico."), field="route")
        if enrollment.school_id and not _route_serves(enrollment.route, enrollment.school_id):
            raise InvalidChoiceError(gettext("La linea scelta non serve questa scuola."), field="route")
    if enrollment.stop_id and enrollment.stop.route_id != enrollment.route_id:
        raise InvalidChoiceError(gettext("La fermata scelta non è su questa linea."), field="stop")
    if enrollment.isee_presented is False:
        enrollment.isee_amount = None
        enrollment.isee_protocol = ""
        enrollment.isee_expires_on = None
    if enrollment.diet not in ETHICAL_DIETS:
        enrollment.diet_note = ""


@transaction.atomic
def enrollment_draft_update(*, enrollment: Enrollment, user: User, step: str, data: dict) -> Enrollment:
    """Save one wizard step's cleaned fields on a draft (instances or pks for school, school_class, route, stop).

    Every value is checked again (a form may be replayed or tampered with): a refusal saves nothing.
    """
    locked = _draft_lock(enrollment=enrollment, user=user)
    _apply(locked, data)
    consistency_check(locked)
    if locked.diet != Enrollment.Diet.MEDICAL:
        _medical_diet_delete(locked)
    locked.step = (step or "")[:20]
    locked.save()
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
        if old_name:
            transaction.on_commit(partial(diet.certificate.storage.delete, old_name))
    diet.save()
    if locked.diet != Enrollment.Diet.MEDICAL:
        locked.diet = Enrollment.Diet.MEDICAL
        locked.diet_note = ""
        locked.save(update_fields=["diet", "diet_note", "updated_at"])
    return diet
