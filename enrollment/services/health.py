"""The health data only staff with `enrollment.view_health_data` may open: every view, download and export is
logged (HealthDataAccess, append-only; the log never carries the data)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User

from ..errors import EnrollmentNotFoundError
from ..models import HEALTH_PERMISSION, Enrollment, HealthDataAccess, MedicalDiet

# --- health data -----------------------------------------------------------------------------------------------


def health_data_access_record(
    *, user: User, enrollment: Enrollment | None, action: str, detail: str = ""
) -> HealthDataAccess:
    """Log one view, download or export of health data (append-only; the detail never carries the data)."""
    if action not in HealthDataAccess.Action.values:
        raise ValueError(f"unknown health data action {action!r}")
    return HealthDataAccess.objects.create(
        user=user, enrollment=enrollment, action=action, detail=(detail or "")[:200], at=timezone.now()
    )


def _health_check(user: User) -> None:
    if not (user.is_active and user.is_staff and user.has_perm(HEALTH_PERMISSION)):
        raise PermissionDenied


@transaction.atomic
def medical_diet_get_for_staff(*, user: User, enrollment_id: int) -> MedicalDiet:
    """The medical diet of an enrollment for staff with the health data permission (else PermissionDenied);
    the access is logged. No medical diet → EnrollmentNotFoundError (404)."""
    _health_check(user)
    diets = MedicalDiet.objects.select_related("enrollment", "enrollment__child")
    diet = diets.filter(enrollment_id=enrollment_id).first()
    if diet is None:
        raise EnrollmentNotFoundError
    health_data_access_record(user=user, enrollment=diet.enrollment, action=HealthDataAccess.Action.VIEW)
    return diet


@transaction.atomic
def medical_certificate_open_for_staff(*, user: User, enrollment_id: int) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the certificate for staff with the permission; the download is logged."""
    _health_check(user)
    diet = MedicalDiet.objects.select_related("enrollment").filter(enrollment_id=enrollment_id).first()
    if diet is None or not diet.certificate:
        raise EnrollmentNotFoundError
    with diet.certificate.open("rb") as handle:
        content = handle.read()
    content_type = "application/pdf" if content.startswith(b"%PDF-") else "image/jpeg"
    extension = ".pdf" if content_type == "application/pdf" else ".jpg"
    health_data_access_record(user=user, enrollment=diet.enrollment, action=HealthDataAccess.Action.DOWNLOAD)
    return f"certificato-{diet.enrollment.protocol or diet.enrollment_id}{extension}", content_type, content
