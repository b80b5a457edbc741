"""Applying a validated families file: adults and children created or updated in bulk, in one transaction.

Existing CFs are looked up a chunk at a time and rows are written with bulk inserts and updates, never one query
per row; a file with any error writes nothing.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Child, FamilyEvent, Guardianship, ImportedAdult, User
from ..services import family_summary_invalidate
from .common import ImportReport
from .reading import FileArg, families_rows
from .rows import FamilyRow, cf_shape_check, school_index_load
from .validation import FirstSeen, validate_file

WRITE_BATCH = 1000  # rows written per round of bulk queries
_LOCK_KEY = 0x46414D494C59  # pg advisory lock: one families import at a time


class _FileChangedError(Exception):
    pass


class _Adult(NamedTuple):
    pk: int
    claimed_by_id: int | None


@dataclass(frozen=True)
class _Writer:
    actor: User | None
    now: datetime.datetime
    seen: FirstSeen
    report: ImportReport


class _DryRunRollbackError(Exception):
    pass


def families_import_apply(*, file: FileArg, actor: User | None, dry_run: bool = False) -> ImportReport:
    """Validate the whole file; if it has no errors, write it all in one transaction (else nothing).

    Adults are created or updated by CF, children by CF (attached to their imported adult); a new child of
    an adult who already claimed the family gets that user as adult of reference. Re-importing the same
    file changes nothing. With dry_run everything is done and counted, then rolled back.
    """
    report = ImportReport(dry_run=dry_run)
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:  # two imports at once (a double click) run one after the other
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
            seen = validate_file(file=file, report=report)
            if report.has_errors:
                return report
            _write(file=file, writer=_Writer(actor=actor, now=timezone.now(), seen=seen, report=report))
            if dry_run:
                raise _DryRunRollbackError
    except _DryRunRollbackError:
        return report
    except _FileChangedError:
        report.add_error(None, _("Il file è cambiato durante l'importazione: nessun dato è stato importato."))
        return report
    report.applied = True
    return report


def _batched(rows: Iterator[FamilyRow], size: int) -> Iterator[list[FamilyRow]]:
    batch: list[FamilyRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _write(*, file: FileArg, writer: _Writer) -> None:
    # The second reading of the file: validated a moment ago, so the slow CF check is not repeated;
    # a row that no longer reads the same means the file changed under us.
    second = ImportReport()
    rows = families_rows(file=file, schools=school_index_load(), report=second, check_cf=cf_shape_check)
    for batch in _batched(rows, WRITE_BATCH):
        if second.has_errors:
            raise _FileChangedError
        changed_lines: set[int] = set()
        adults = _write_adults(batch, writer, changed_lines)
        _write_children(batch, adults, writer, changed_lines)
        writer.report.rows_unchanged += len(batch) - len(changed_lines)
    if second.has_errors or second.rows_read != writer.report.rows_read:
        raise _FileChangedError


def _assign(instance, values: dict) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def _write_adults(batch: list[FamilyRow], writer: _Writer, changed_lines: set[int]) -> dict[str, _Adult]:
    """Create or update the adults whose first row is in the batch; the pk of every adult of the batch."""
    report, first_seen = writer.report, writer.seen.parents
    # Locked: a claim of one of these families waits for the import, then finds its new children.
    existing = {
        adult.codice_fiscale: adult
        for adult in ImportedAdult.objects.select_for_update()
        .filter(codice_fiscale__in={row.parent_cf for row in batch})
        .only("pk", "codice_fiscale", "first_name", "last_name", "email", "claimed_by")
    }
    adults = {cf: _Adult(adult.pk, adult.claimed_by_id) for cf, adult in existing.items()}
    created, updated = [], []
    for row in batch:
        if FirstSeen.line(first_seen[row.parent_cf]) != row.line:
            continue  # the adult's first row wrote it (later rows have the same data: validated)
        adult = existing.get(row.parent_cf)
        values = {"first_name": row.parent_first_name, "last_name": row.parent_last_name}
        if row.parent_email:  # an empty cell means "not known", not "delete the e-mail the portal has"
            values["email"] = row.parent_email
        if adult is None:
            created.append(ImportedAdult(codice_fiscale=row.parent_cf, imported_at=writer.now, **values))
            changed_lines.add(row.line)
        elif _assign(adult, values):
            updated.append(adult)
            changed_lines.add(row.line)
        else:
            report.adults_unchanged += 1
    ImportedAdult.objects.bulk_create(created)
    ImportedAdult.objects.bulk_update(updated, ["first_name", "last_name", "email"], batch_size=500)
    adults.update({adult.codice_fiscale: _Adult(adult.pk, None) for adult in created})
    report.adults_created += len(created)
    report.adults_updated += len(updated)
    return adults


_CHILD_FIELDS = ["first_name", "last_name", "birth_date", "school", "class_name", "imported_from"]


def _write_children(batch: list[FamilyRow], adults: dict[str, _Adult], writer: _Writer, changed_lines: set[int]):
    report, first_seen = writer.report, writer.seen.children
    # A child repeated with the same data (validated) is written by its first row only.
    rows = [row for row in batch if FirstSeen.line(first_seen[row.child_cf]) == row.line]
    existing = {
        child.codice_fiscale: child
        for child in Child.objects.filter(codice_fiscale__in=[row.child_cf for row in rows]).only(
            "pk", "codice_fiscale", *_CHILD_FIELDS
        )
    }
    created: list[tuple[Child, _Adult]] = []
    updated: list[Child] = []
    moved: list[tuple[Child, _Adult]] = []  # now attached to an adult who already claimed the family
    for row in rows:
        adult = adults[row.parent_cf]
        values = {
            "first_name": row.child_first_name,
            "last_name": row.child_last_name,
            "birth_date": row.child_birth_date,
            "school_id": row.school_id,
            "imported_from_id": adult.pk,
        }
        if row.class_name is not None:
            values["class_name"] = row.class_name
        child = existing.get(row.child_cf)
        if child is None:
            created.append((Child(codice_fiscale=row.child_cf, sex=row.child_sex, **values), adult))
            changed_lines.add(row.line)
            continue
        moved_here = child.imported_from_id != adult.pk
        if _assign(child, values):
            updated.append(child)
            changed_lines.add(row.line)
            if moved_here and adult.claimed_by_id is not None:
                moved.append((child, adult))
    Child.objects.bulk_create([child for child, _adult in created])
    Child.objects.bulk_update(updated, _CHILD_FIELDS, batch_size=500)
    report.children_created += len(created)
    report.children_updated += len(updated)
    report.children_unchanged += len(rows) - len(created) - len(updated)

    moved_grants = []
    if moved:
        claimed_by = {child.pk: adult.claimed_by_id for child, adult in moved}
        active = Guardianship.objects.filter(child_id__in=list(claimed_by), revoked_at__isnull=True)
        taken = {
            child_id
            for child_id, adult_id, role in active.values_list("child_id", "adult_id", "role")
            if role == Guardianship.Role.REFERENCE or adult_id == claimed_by[child_id]
        }
        moved_grants = [(child, adult) for child, adult in moved if child.pk not in taken]
    grants = [(child, adult) for child, adult in created if adult.claimed_by_id is not None] + moved_grants
    Guardianship.objects.bulk_create(
        [
            Guardianship(
                adult_id=adult.claimed_by_id,
                child=child,
                role=Guardianship.Role.REFERENCE,
                granted_by=writer.actor,
                granted_at=writer.now,
            )
            for child, adult in grants
            if adult.claimed_by_id is not None  # always: grants are of claimed families (narrows the type)
        ]
    )
    report.references_granted += len(grants)
    # Names, school and class of existing children, and the children granted to adults who claimed their family.
    family_summary_invalidate(child_ids=[child.pk for child in updated] + [child.pk for child, _adult in grants])
    reasons = [
        (created, _("Importato dall'elenco delle famiglie del Comune.")),
        (moved_grants, _("Importato dall'elenco del Comune: collegato all'adulto di riferimento della famiglia.")),
    ]
    FamilyEvent.objects.bulk_create(
        [
            FamilyEvent(
                action=FamilyEvent.Action.CHILD_IMPORTED,
                child=child,
                actor=writer.actor,
                subject_id=adult.claimed_by_id,
                reason=reason,
                at=writer.now,
            )
            for pairs, reason in reasons
            for child, adult in pairs
        ]
    )
