"""Retention: health data and ISEE values are deleted once the office's period after the school year has passed.

Each purger is `<entity>_purge(*, now, dry_run) -> int`: one transaction, the number of enrollments it purged (or
would purge, when `dry_run`, which writes nothing). The enrollment keeps when it happened (`health_data_purged_at`,
`isee_purged_at`) and an event in its history, so the office sees why the diet or the ISEE is empty. What the
tariff needs stays: the ISEE band, the frozen tariff and its explanation (the steps never carry the ISEE value).
"""

from __future__ import annotations

import datetime
import logging
from functools import partial

from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import Q

from portal.retention import retention_policy_current, school_year_end_cutoff

from ..models import Enrollment, EnrollmentEvent, MedicalDiet
from .common import event_build

logger = logging.getLogger(__name__)

# "diet_…": like the notes of diet decisions, the event is shown only to staff with the health data permission.
MEDICAL_DIET_PURGED = "diet_medical_purged"
ISEE_PURGED = "isee_purged"


def _certificate_delete(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:  # one file that cannot be removed must not stop the others; the row is already gone
        logger.exception("Could not delete the purged certificate %s", name)


@transaction.atomic
def medical_diet_purge(*, now: datetime.datetime, dry_run: bool) -> int:
    """Delete the medical details and certificates of enrollments whose school year ended more than the office's
    period ago (health data). The kind of diet and its decision stay; the files go after commit."""
    months = retention_policy_current().health_data_months
    cutoff = school_year_end_cutoff(now=now, months=months)
    diets = MedicalDiet.objects.filter(enrollment__school_year__ends_on__lt=cutoff)
    if dry_run:
        return diets.count()
    rows = list(diets.select_for_update(of=("self",)).values_list("pk", "enrollment_id", "certificate"))
    if not rows:
        return 0
    enrollment_ids = [enrollment_id for _pk, enrollment_id, _name in rows]
    MedicalDiet.objects.filter(pk__in=[pk for pk, _enrollment_id, _name in rows]).delete()
    Enrollment.objects.filter(pk__in=enrollment_ids).update(health_data_purged_at=now)
    note = f"Dati sanitari cancellati: trascorsi {months} mesi dalla fine dell'anno scolastico."
    _events_record(enrollment_ids, action=MEDICAL_DIET_PURGED, note=note, now=now)
    storage = MedicalDiet._meta.get_field("certificate").storage
    for _pk, _enrollment_id, name in rows:
        if name:
            transaction.on_commit(partial(_certificate_delete, storage, name))
    return len(rows)


@transaction.atomic
def enrollment_isee_purge(*, now: datetime.datetime, dry_run: bool) -> int:
    """Delete the ISEE value and DSU protocol of enrollments whose school year ended more than the office's period
    ago. Whether an ISEE was presented, its expiry, the band, the tariff and its explanation stay."""
    months = retention_policy_current().isee_months
    cutoff = school_year_end_cutoff(now=now, months=months)
    enrollments = Enrollment.objects.filter(school_year__ends_on__lt=cutoff).filter(
        Q(isee_amount__isnull=False) | ~Q(isee_protocol="")
    )
    if dry_run:
        return enrollments.count()
    ids = list(enrollments.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
    if not ids:
        return 0
    Enrollment.objects.filter(pk__in=ids).update(isee_amount=None, isee_protocol="", isee_purged_at=now)
    note = f"Valore ISEE e protocollo DSU cancellati: trascorsi {months} mesi dalla fine dell'anno scolastico."
    _events_record(ids, action=ISEE_PURGED, note=note, now=now)
    return len(ids)


def _events_record(enrollment_ids: list[int], *, action: str, note: str, now: datetime.datetime) -> None:
    statuses = dict(Enrollment.objects.filter(pk__in=enrollment_ids).values_list("pk", "status"))
    EnrollmentEvent.objects.bulk_create(
        [
            event_build(
                enrollment=Enrollment(pk=pk),
                actor=None,
                from_status=statuses[pk],
                to_status=statuses[pk],
                action=action,
                note=note,
                at=now,
            )
            for pk in enrollment_ids
        ],
        batch_size=1000,
    )
