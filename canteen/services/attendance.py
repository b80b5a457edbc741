"""Attendance in: the day's presences from a school's file, the kitchen's system or the office's hand.

A file is read whole into a preview (`attendance_preview`): every row checked, each problem listed with its line
number; nothing moves until the preview is confirmed (`attendance_apply`), and then only the valid rows. The
kitchen's API confirms at once, and only a file without errors. The report of a child and a day replaces the
previous one (the latest report wins); the money follows in `meals_settle`, as new ledger entries only.

Accepted: `;` or `,` separated, UTF-8 (with or without BOM) or Windows-1252, a header row or none; columns
codice fiscale, date (dd/mm/yyyy or yyyy-mm-dd, mixed), present (presente/assente, P/A, sì/no, 1/0) and an
optional meal type (normale, dieta speciale, in bianco).
"""

import csv
import datetime
import hashlib
import io
import re
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Child, User
from accounts.validators import normalize_codice_fiscale, validate_codice_fiscale
from enrollment.models import Enrollment, School

from .. import tasks
from ..errors import AttendanceFileError, CanteenError
from ..models import Attendance, AttendanceBatch, MealType
from ..selectors import ServiceDays, canteen_enrollments, today_local
from .settle import SettleResult, meals_settle

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 60_000
MAX_ERRORS_KEPT = 500
PRESENT_WORDS = {
    "presente": True,
    "p": True,
    "si": True,
    "sì": True,
    "1": True,
    "x": True,
    "true": True,
    "assente": False,
    "a": False,
    "no": False,
    "0": False,
    "false": False,
}
MEAL_WORDS = {
    "": MealType.NORMAL,
    "normale": MealType.NORMAL,
    "standard": MealType.NORMAL,
    "n": MealType.NORMAL,
    "dieta": MealType.DIET,
    "dieta speciale": MealType.DIET,
    "speciale": MealType.DIET,
    "d": MealType.DIET,
    "bianco": MealType.LIGHT,
    "in bianco": MealType.LIGHT,
    "pasto in bianco": MealType.LIGHT,
    "b": MealType.LIGHT,
    "normal": MealType.NORMAL,
    "diet": MealType.DIET,
    "light": MealType.LIGHT,
}
HEADER_WORDS = {
    "cf": "cf",
    "codice_fiscale": "cf",
    "codice fiscale": "cf",
    "codicefiscale": "cf",
    "data": "date",
    "giorno": "date",
    "date": "date",
    "presenza": "present",
    "presente": "present",
    "presenze": "present",
    "present": "present",
    "stato": "present",
    "tipo_pasto": "meal_type",
    "tipo pasto": "meal_type",
    "pasto": "meal_type",
    "meal_type": "meal_type",
}
COLUMNS = ("cf", "date", "present", "meal_type")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ITALIAN = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


@dataclass(frozen=True)
class RawRow:
    line: int
    cf: str
    date: str
    present: str
    meal_type: str


def _text_of(content: bytes) -> str:
    if len(content) > MAX_FILE_BYTES:
        raise AttendanceFileError(_("Il file è troppo grande (al massimo 5 MB)."))
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def rows_read(content: bytes) -> list[RawRow]:
    """The file's rows with their line numbers (header recognised by its words, or absent)."""
    text = _text_of(content)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    order = list(COLUMNS)
    rows: list[RawRow] = []
    for cells in reader:
        line = reader.line_num
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        if not rows and line == 1 and cells[0].lower() in HEADER_WORDS:
            named = [HEADER_WORDS.get(cell.lower(), "") for cell in cells]
            if {"cf", "date", "present"} <= set(named):
                order = named
                continue
        values = dict(zip(order, cells, strict=False))
        rows.append(
            RawRow(
                line,
                values.get("cf", ""),
                values.get("date", ""),
                values.get("present", ""),
                values.get("meal_type", ""),
            )
        )
        if len(rows) > MAX_ROWS:
            raise AttendanceFileError(
                _("Il file ha troppe righe (al massimo %(n)s).") % {"n": f"{MAX_ROWS:,}".replace(",", ".")}
            )
    if not rows:
        raise AttendanceFileError(_("Il file non contiene righe di presenze."))
    return rows


def date_parse(text: str) -> datetime.date | None:
    """dd/mm/yyyy (also with . or -) or yyyy-mm-dd; None when it is neither or not a real day."""
    text = text.strip()
    try:
        if _ISO.match(text):
            return datetime.date.fromisoformat(text)
        match = _ITALIAN.match(text)
        if match:
            day, month, year = (int(part) for part in match.groups())
            return datetime.date(year, month, day)
    except ValueError:
        return None
    return None


def _codice_fiscale_valid(cf: str) -> bool:
    try:
        validate_codice_fiscale(cf)
    except ValidationError:
        return False
    return True


class _Checker:
    """Checks rows against the children, their canteen enrollments (at the school, when scoped) and calendars."""

    def __init__(self, *, school: School | None, raw: list[RawRow]) -> None:
        self.school = school
        self.days = ServiceDays()
        self.today = today_local()
        codes = {normalize_codice_fiscale(row.cf) for row in raw}
        enrollments = (
            canteen_enrollments().filter(child__codice_fiscale__in=codes).select_related("school_year", "child")
        )
        self.enrollments: dict[str, list[Enrollment]] = defaultdict(list)
        for enrollment in enrollments:
            self.enrollments[enrollment.child.codice_fiscale].append(enrollment)
        self.known_children = set(
            Child.objects.filter(codice_fiscale__in=codes).values_list("codice_fiscale", flat=True)
        )
        self.seen: dict[tuple[str, datetime.date], int] = {}

    def check(self, row: RawRow) -> tuple[dict | None, str]:
        cf = normalize_codice_fiscale(row.cf)
        if not cf:
            return None, _("manca il codice fiscale")
        if cf not in self.known_children and not _codice_fiscale_valid(cf):  # a child's CF was checked when added
            return None, _("codice fiscale non valido: %(cf)s") % {"cf": row.cf}
        day = date_parse(row.date)
        if day is None:
            return None, _("data non valida: «%(text)s» (scrivere gg/mm/aaaa oppure aaaa-mm-gg)") % {"text": row.date}
        if day > self.today:
            return None, _("il %(day)s è nel futuro: si registrano solo i pasti già serviti") % {
                "day": f"{day:%d/%m/%Y}"
            }
        present = PRESENT_WORDS.get(row.present.strip().lower())
        if present is None:
            return None, _("presenza non valida: «%(text)s» (presente o assente)") % {"text": row.present}
        meal_type = MEAL_WORDS.get(row.meal_type.strip().lower())
        if meal_type is None:
            return None, _("tipo di pasto non valido: «%(text)s» (normale, dieta speciale o in bianco)") % {
                "text": row.meal_type
            }
        if cf not in self.known_children:
            return None, _("nessun bambino con codice fiscale %(cf)s") % {"cf": cf}
        enrollment = next(
            (e for e in self.enrollments.get(cf, []) if e.school_year.starts_on <= day <= e.school_year.ends_on), None
        )
        if enrollment is None:
            return None, _("%(cf)s non è iscritto alla mensa per quel giorno") % {"cf": cf}
        if self.school is not None and enrollment.school_id != self.school.pk:
            return None, _("%(cf)s non è iscritto alla mensa di questa scuola") % {"cf": cf}
        days = self.days.of(school_year_id=enrollment.school_year_id, school_id=enrollment.school_id)
        if days is None:
            return None, _("manca il calendario della mensa di questa scuola per l'anno scolastico")
        if day not in days:
            return None, _("il %(day)s la mensa non è in servizio") % {"day": f"{day:%d/%m/%Y}"}
        first = self.seen.setdefault((cf, day), row.line)
        if first != row.line:
            return None, _("riga ripetuta: %(cf)s del %(day)s è già alla riga %(line)s") % {
                "cf": cf,
                "day": f"{day:%d/%m/%Y}",
                "line": first,
            }
        return {
            "line": row.line,
            "enrollment_id": enrollment.pk,
            "cf": cf,
            "date": day.isoformat(),
            "present": present,
            "meal_type": str(meal_type),
        }, ""


def rows_check(*, raw: list[RawRow], school: School | None) -> tuple[list[dict], list[dict]]:
    checker = _Checker(school=school, raw=raw)
    valid: list[dict] = []
    errors: list[dict] = []
    for row in raw:
        good, problem = checker.check(row)
        if good is not None:
            valid.append(good)
        else:
            errors.append({"line": row.line, "cf": row.cf[:20], "message": problem})
    return valid, errors


def attendance_preview(
    *,
    content: bytes,
    filename: str,
    school: School | None,
    actor: User | None,
    source: str = AttendanceBatch.Source.UPLOAD,
) -> AttendanceBatch:
    """Read and check a whole file: a batch in preview, with its valid rows and its errors (nothing applied)."""
    raw = rows_read(content)
    valid, errors = rows_check(raw=raw, school=school)
    return AttendanceBatch.objects.create(
        school=school,
        source=source,
        filename=(filename or "")[:200],
        content_sha256=hashlib.sha256(content).hexdigest(),
        rows=valid,
        errors=errors[:MAX_ERRORS_KEPT],
        row_count=len(raw),
        created_by=actor,
    )


def _rows_upsert(rows: list[dict], *, batch: AttendanceBatch, actor: User | None) -> None:
    now = timezone.now()
    objects = [
        Attendance(
            enrollment_id=row["enrollment_id"],
            date=datetime.date.fromisoformat(row["date"]),
            present=row["present"],
            meal_type=row["meal_type"],
            batch=batch,
            recorded_by=actor,
            recorded_at=now,
        )
        for row in sorted(rows, key=lambda row: (row["date"], row["enrollment_id"]))
    ]
    Attendance.objects.bulk_create(
        objects,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["enrollment", "date"],
        update_fields=["present", "meal_type", "batch", "recorded_by", "recorded_at"],
    )


@transaction.atomic
def attendance_apply(*, batch: AttendanceBatch, actor: User | None) -> SettleResult:
    """Apply a previewed batch's valid rows: the reports recorded, each day's meals settled in the ledger."""
    locked = AttendanceBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != AttendanceBatch.Status.PREVIEW:
        raise CanteenError(_("Questo file è già stato applicato o scartato."))
    result = rows_apply(rows=locked.rows, batch=locked, actor=actor)
    locked.status = AttendanceBatch.Status.APPLIED
    locked.applied_at = timezone.now()
    locked.save(update_fields=["status", "applied_at"])
    batch.refresh_from_db()
    return result


def rows_apply(*, rows: list[dict], batch: AttendanceBatch, actor: User | None) -> SettleResult:
    result = SettleResult()
    _rows_upsert(rows, batch=batch, actor=actor)
    by_day: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        by_day[row["date"]].append(row["enrollment_id"])
    for day, ids in sorted(by_day.items()):
        result.add(meals_settle(day=datetime.date.fromisoformat(day), enrollment_ids=ids, actor=actor))
    transaction.on_commit(lambda: _reminders_after(result.child_ids))
    return result


def _reminders_after(child_ids: set[int]) -> None:
    if not child_ids:
        return
    tasks.balance_reminders_for.delay(sorted(child_ids))


@transaction.atomic
def attendance_discard(*, batch: AttendanceBatch) -> None:
    locked = AttendanceBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != AttendanceBatch.Status.PREVIEW:
        raise CanteenError(_("Questo file è già stato applicato o scartato."))
    locked.status = AttendanceBatch.Status.DISCARDED
    locked.save(update_fields=["status"])


@transaction.atomic
def attendance_correct(
    *, enrollment: Enrollment, day: datetime.date, present: bool, meal_type: str, actor: User
) -> SettleResult:
    """The office corrects one child's day by hand (a batch of one row, applied at once)."""
    days = ServiceDays()
    if not days.serves(enrollment, day):
        raise CanteenError(_("Il %(day)s la mensa di questa scuola non è in servizio.") % {"day": f"{day:%d/%m/%Y}"})
    if day > today_local():
        raise CanteenError(_("Si correggono solo i giorni già passati."))
    if meal_type not in MealType.values:
        raise CanteenError(_("Tipo di pasto non valido."))
    row = {
        "line": 1,
        "enrollment_id": enrollment.pk,
        "cf": enrollment.child.codice_fiscale,
        "date": day.isoformat(),
        "present": present,
        "meal_type": meal_type,
    }
    batch = AttendanceBatch.objects.create(
        school=enrollment.school,
        source=AttendanceBatch.Source.OFFICE,
        status=AttendanceBatch.Status.APPLIED,
        rows=[row],
        row_count=1,
        created_by=actor,
        applied_at=timezone.now(),
    )
    return rows_apply(rows=[row], batch=batch, actor=actor)
