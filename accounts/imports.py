"""Families the Comune already knows, imported from the office's CSV: validate everything, then write all or nothing.

The file is read as a stream, one row at a time (files up to 100 MB, exported from Excel: ";" or ",",
UTF-8 with or without BOM, or Windows-1252). Validation goes over the whole file first and reports every
problem with its physical line number (the header is line 1); only a file without errors is applied, in one
transaction, in batches: existing CFs are looked up a chunk at a time and rows are written with bulk
inserts and updates, never one query per row.

    families_rows(...)            pure parsing of one file (no database): yields valid rows, reports the rest
    families_import_validate(...) the whole file against the portal (schools, children already linked)
    families_import_apply(...)    validate, then write (or, with dry_run, count what would change)
"""

import codecs
import csv
import datetime
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from typing import BinaryIO, NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enrollment.models import School

from .models import Child, FamilyEvent, Guardianship, ImportedAdult, User
from .validators import (
    codice_fiscale_mismatches,
    codice_fiscale_sex,
    normalize_codice_fiscale,
    validate_codice_fiscale,
    validate_person_name,
)

MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_LINE_CHARS = 64 * 1024  # a real row is well under 1 KB: longer means "not a CSV of families"
MAX_ERRORS_KEPT = 10_000  # every error is counted; the first ones are kept with their line
CHECK_CHUNK = 1000  # rows checked against the portal per query
WRITE_BATCH = 1000  # rows written per round of bulk queries
_READ_CHUNK = 1024 * 1024
_NAME_MAX = 100
_CLASS_MAX = 20
_EMAIL_MAX = 254
_LOCK_KEY = 0x46414D494C59  # pg advisory lock: one families import at a time

FileArg = str | os.PathLike | BinaryIO


# --- columns -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    aliases: tuple[str, ...]
    required: bool = True

    @property
    def label(self) -> str:
        return self.aliases[0]


COLUMNS = (
    Column("parent_cf", ("cf_genitore", "codice_fiscale_genitore")),
    Column("parent_first_name", ("nome_genitore",)),
    Column("parent_last_name", ("cognome_genitore",)),
    Column("parent_email", ("email_genitore",), required=False),
    Column("child_cf", ("cf_figlio", "codice_fiscale_figlio")),
    Column("child_first_name", ("nome_figlio",)),
    Column("child_last_name", ("cognome_figlio",)),
    Column("child_birth_date", ("data_nascita_figlio",)),
    Column("school", ("scuola",)),
    Column("class_name", ("classe",), required=False),
)


def _header_key(value: str) -> str:
    """Header cells compare without case, spaces, underscores or dashes: "CF Genitore" is cf_genitore."""
    return re.sub(r"[^0-9a-z]", "", value.casefold())


_COLUMN_BY_ALIAS = {_header_key(alias): column for column in COLUMNS for alias in column.aliases}


def expected_columns_text() -> str:
    optional = _("facoltativa")
    return ", ".join(" / ".join(column.aliases) + ("" if column.required else f" ({optional})") for column in COLUMNS)


# --- report ------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What a validation or an import found and did. `errors` are (line, message); line None is the file."""

    rows_read: int = 0
    errors: list[tuple[int | None, str]] = field(default_factory=list)
    error_count: int = 0
    warnings: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    # validation: distinct adults and children in the file, and how many the portal does not know yet
    parents: int = 0
    children: int = 0
    parents_new: int = 0
    children_new: int = 0
    # apply
    adults_created: int = 0
    adults_updated: int = 0
    adults_unchanged: int = 0
    children_created: int = 0
    children_updated: int = 0
    children_unchanged: int = 0
    rows_unchanged: int = 0
    references_granted: int = 0
    applied: bool = False
    dry_run: bool = False

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    @property
    def changes(self) -> int:
        return self.adults_created + self.adults_updated + self.children_created + self.children_updated

    def add_error(self, line: int | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append((line, _printable(message[:1].upper() + message[1:])))

    def sorted_errors(self) -> list[tuple[int | None, str]]:
        return sorted(self.errors, key=lambda error: -1 if error[0] is None else error[0])

    def summary_lines(self) -> list[str]:
        """The report as plain text lines (the management command prints them)."""
        lines = [
            _("Righe lette: %(rows)d (codifica %(encoding)s, separatore «%(delimiter)s»).")
            % {"rows": self.rows_read, "encoding": self.encoding or "-", "delimiter": self.delimiter or "-"}
        ]
        lines += [_("Avviso: %(warning)s") % {"warning": warning} for warning in self.warnings]
        if self.has_errors:
            lines += [_format_error(line, message) for line, message in self.sorted_errors()]
            if self.error_count > len(self.errors):
                lines.append(_("… e altri %(count)d errori.") % {"count": self.error_count - len(self.errors)})
            lines.append(
                ngettext(
                    "%(count)d errore: nessun dato è stato importato. Correggi il file e riprova.",
                    "%(count)d errori: nessun dato è stato importato. Correggi il file e riprova.",
                    self.error_count,
                )
                % {"count": self.error_count}
            )
            return lines
        lines.append(
            _("Adulti nel file: %(parents)d (%(new)d nuovi); bambini nel file: %(children)d (%(children_new)d nuovi).")
            % {
                "parents": self.parents,
                "new": self.parents_new,
                "children": self.children,
                "children_new": self.children_new,
            }
        )
        if self.applied or self.dry_run:
            lines.append(
                _("Adulti: %(created)d creati, %(updated)d aggiornati, %(unchanged)d invariati.")
                % {"created": self.adults_created, "updated": self.adults_updated, "unchanged": self.adults_unchanged}
            )
            lines.append(
                _("Bambini: %(created)d creati, %(updated)d aggiornati, %(unchanged)d invariati.")
                % {
                    "created": self.children_created,
                    "updated": self.children_updated,
                    "unchanged": self.children_unchanged,
                }
            )
            lines.append(
                _("Righe senza modifiche: %(rows)d; adulti di riferimento assegnati: %(granted)d.")
                % {"rows": self.rows_unchanged, "granted": self.references_granted}
            )
        if self.dry_run:
            lines.append(_("Prova senza scrittura: nessun dato è stato importato."))
        return lines


def _format_error(line: int | None, message: str) -> str:
    if line is None:
        return _("File: %(message)s") % {"message": message}
    return _("Riga %(line)d: %(message)s") % {"line": line, "message": message}


def _printable(text: str) -> str:
    """Messages go to terminals and pages: no control characters from the file."""
    return "".join(char if char.isprintable() else "\ufffd" for char in text)


def _shown(value: str, limit: int = 40) -> str:
    value = _printable(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


# --- schools -----------------------------------------------------------------------------------


class SchoolIndex:
    """Schools by ministry code (first) and by exact name, both without case."""

    def __init__(self, schools: Iterable[tuple[int, str, str]]) -> None:
        self._codes: dict[str, int] = {}
        self._names: dict[str, int | None] = {}
        for pk, ministry_code, name in schools:
            self._codes[ministry_code.strip().upper()] = pk
            key = name.strip().casefold()
            self._names[key] = None if key in self._names else pk  # None: two schools share the name

    def resolve(self, value: str) -> int:
        """The school's pk, or ValueError with the message for the office."""
        pk = self._codes.get(value.upper())
        if pk is not None:
            return pk
        key = value.casefold()
        if key in self._names:
            pk = self._names[key]
            if pk is None:
                raise ValueError(
                    _("più scuole si chiamano «%(value)s»: indica il codice meccanografico.")
                    % {"value": _shown(value)}
                )
            return pk
        raise ValueError(
            _(
                "scuola «%(value)s» sconosciuta: indica il codice meccanografico o il nome esatto di una scuola "
                "presente nel portale."
            )
            % {"value": _shown(value)}
        )


def school_index_load() -> SchoolIndex:
    return SchoolIndex(School.objects.values_list("pk", "ministry_code", "name"))


# --- parsing (no database) ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FamilyRow:
    line: int
    parent_cf: str
    parent_first_name: str
    parent_last_name: str
    parent_email: str
    child_cf: str
    child_first_name: str
    child_last_name: str
    child_birth_date: datetime.date
    child_sex: str
    school_id: int
    class_name: str | None  # None when the file has no class column

    def parent_data(self) -> tuple:
        return (self.parent_first_name, self.parent_last_name, self.parent_email)

    def child_data(self) -> tuple:
        return (
            self.parent_cf,
            self.child_first_name,
            self.child_last_name,
            self.child_birth_date,
            self.school_id,
            self.class_name,
        )


CfCheck = Callable[[str], tuple[str, str]]  # value -> (normalised CF, "") or ("", why it is wrong)


def cf_checker() -> CfCheck:
    """The full check (checksum, birthplace, date) with the project's validator, remembered per file."""

    @lru_cache(maxsize=4096)  # an adult's rows are usually together: a small cache finds them
    def check(value: str) -> tuple[str, str]:
        try:
            return validate_codice_fiscale(value), ""
        except ValidationError as exc:
            return "", " ".join(str(message) for message in exc.messages)

    return check


_CF_SHAPE = re.compile(r"^[A-Z0-9]{16}$", re.ASCII)


def _cf_shape_check(value: str) -> tuple[str, str]:
    """The second reading of an already validated file only needs the normalised form."""
    cf = normalize_codice_fiscale(value)
    return (cf, "") if _CF_SHAPE.match(cf) else ("", _("Codice fiscale non valido."))


class _LineTooLongError(Exception):
    pass


class _FileChangedError(Exception):
    pass


@contextmanager
def _binary(file: FileArg) -> Iterator[BinaryIO]:
    if isinstance(file, str | os.PathLike):
        with open(file, "rb") as handle:
            yield handle
    else:
        file.seek(0)
        yield file


def _detect_encoding(handle: BinaryIO) -> str:
    """UTF-8 (a BOM says so at once) when the whole file decodes as UTF-8, else Windows-1252."""
    handle.seek(0)
    if handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8:
        return "utf-8-sig"
    handle.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := handle.read(_READ_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _lines(text: io.TextIOBase) -> Iterator[str]:
    while line := text.readline(MAX_LINE_CHARS):
        if len(line) >= MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise _LineTooLongError
        yield line


def _sniff_delimiter(line: str) -> str:
    """The separator that makes more header cells known columns; on a tie, the more frequent one."""
    best, best_known = "", -1
    for delimiter in (";", ","):
        try:
            cells = next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), [])
        except csv.Error:
            cells = []
        known = sum(_header_key(cell) in _COLUMN_BY_ALIAS for cell in cells)
        if known > best_known or (known == best_known and line.count(delimiter) > line.count(best)):
            best, best_known = delimiter, known
    return best


def _header_mapping(header: list[str], line: int, report: ImportReport) -> dict[str, tuple[int, str]] | None:
    """Column key -> (index, the header cell as written), or None after a file-level error."""
    mapping: dict[str, tuple[int, str]] = {}
    ignored = []
    for index, cell in enumerate(header):
        key = _header_key(cell)
        if not key:
            continue
        column = _COLUMN_BY_ALIAS.get(key)
        if column is None:
            ignored.append(_shown(cell.strip()))
        elif column.key in mapping:
            report.add_error(
                line,
                _("La colonna «%(column)s» compare due volte nell'intestazione.") % {"column": _shown(cell.strip())},
            )
            return None
        else:
            mapping[column.key] = (index, cell.strip())
    missing = [column.label for column in COLUMNS if column.required and column.key not in mapping]
    if not mapping:
        report.add_error(
            line,
            _(
                "Intestazione non riconosciuta: la prima riga deve contenere i nomi delle colonne, separati da «;» "
                "o da «,». Colonne attese: %(columns)s."
            )
            % {"columns": expected_columns_text()},
        )
        return None
    if missing:
        report.add_error(
            line,
            _("Mancano le colonne obbligatorie %(missing)s. Colonne attese: %(columns)s.")
            % {"missing": ", ".join(missing), "columns": expected_columns_text()},
        )
        return None
    if ignored:
        report.warnings.append(_("colonne ignorate: %(columns)s.") % {"columns": ", ".join(ignored)})
    return mapping


def families_rows(
    *, file: FileArg, schools: SchoolIndex, report: ImportReport, check_cf: CfCheck | None = None
) -> Iterator[FamilyRow]:
    """Yield every valid data row of the file; add the problems of the others (and of the file) to the report.

    Pure: no database. Never raises for what the file contains.
    """
    check_cf = check_cf or cf_checker()
    today = timezone.localdate()
    with _binary(file) as handle:
        report.encoding = _detect_encoding(handle)
        handle.seek(0)
        text = io.TextIOWrapper(handle, encoding=report.encoding, errors="replace", newline="")
        try:
            yield from _rows_from_text(text, schools=schools, report=report, check_cf=check_cf, today=today)
        finally:
            text.detach()  # the caller's file object stays open


def _rows_from_text(text, *, schools, report, check_cf, today) -> Iterator[FamilyRow]:
    lines = _lines(text)
    skipped = 0  # blank lines before the header
    first = None
    try:
        for line in lines:
            if line.strip():
                first = line
                break
            skipped += 1
    except _LineTooLongError:
        report.add_error(None, _("Il file non è un CSV di famiglie: la prima riga è troppo lunga."))
        return
    if first is None:
        report.add_error(None, _("Il file è vuoto."))
        return
    report.delimiter = _sniff_delimiter(first)
    reader = csv.reader(chain([first], lines), delimiter=report.delimiter, skipinitialspace=True)
    try:
        header = next(reader)
    except (csv.Error, _LineTooLongError):
        header = []
    header_line = skipped + 1
    mapping = _header_mapping(header, header_line, report)
    if mapping is None:
        return
    width = len(header)
    end = skipped + reader.line_num
    while True:
        line = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except _LineTooLongError:
            report.add_error(
                line,
                _("riga troppo lunga (più di %(max)d caratteri): la lettura si ferma qui.") % {"max": MAX_LINE_CHARS},
            )
            return
        except csv.Error:
            report.add_error(
                line,
                _("struttura CSV non valida (virgolette non chiuse o campo troppo lungo): la lettura si ferma qui."),
            )
            return
        end = skipped + reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, and Excel's rows of separators only
        report.rows_read += 1
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            report.add_error(
                line,
                _("la riga ha %(cells)d campi, l'intestazione %(columns)d: controlla il separatore e le virgolette.")
                % {"cells": len(cells), "columns": width},
            )
            continue
        values = {
            key: ((cells[index] if index < len(cells) else "").strip(), label)
            for key, (index, label) in mapping.items()
        }
        errors: list[str] = []
        row = _row_parse(line, values, errors, schools=schools, check_cf=check_cf, today=today)
        for message in errors:
            report.add_error(line, message)
        if row is not None:
            yield row


_DATE_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", re.ASCII)
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", re.ASCII)


def parse_date(value: str) -> datetime.date | None:
    """dd/mm/yyyy (also d/m/yyyy, as Excel writes it) or yyyy-mm-dd; None if neither or not a real date."""
    if match := _DATE_DMY.match(value):
        day, month, year = match.groups()
    elif match := _DATE_ISO.match(value):
        year, month, day = match.groups()
    else:
        return None
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _row_parse(line, values, errors, *, schools, check_cf, today) -> FamilyRow | None:
    def required(key: str) -> str:
        value, label = values[key]
        if not value:
            errors.append(_("cella vuota nella colonna «%(column)s»: il dato è obbligatorio.") % {"column": label})
        return value

    def codice_fiscale(key: str, whose: str) -> str:
        value = required(key)
        if not value:
            return ""
        cf, problem = check_cf(value)
        if problem:
            errors.append(
                _("codice fiscale %(whose)s «%(value)s» non valido: %(problem)s")
                % {"whose": whose, "value": _shown(value), "problem": problem}
            )
        return cf

    def name(key: str, what: str) -> str:
        value = " ".join(required(key).split())
        if not value:
            return ""
        if len(value) > _NAME_MAX:
            errors.append(_("%(what)s è troppo lungo (massimo %(max)d caratteri).") % {"what": what, "max": _NAME_MAX})
            return ""
        try:
            validate_person_name(value)
        except ValidationError as exc:
            errors.append(f"{what}: {' '.join(str(message) for message in exc.messages)}")
            return ""
        return value

    parent_cf = codice_fiscale("parent_cf", _("del genitore"))
    parent_first_name = name("parent_first_name", _("Il nome del genitore"))
    parent_last_name = name("parent_last_name", _("Il cognome del genitore"))
    email = values["parent_email"][0] if "parent_email" in values else ""
    if email:
        try:
            if len(email) > _EMAIL_MAX:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            errors.append(_("e-mail del genitore «%(value)s» non valida.") % {"value": _shown(email)})
    child_cf = codice_fiscale("child_cf", _("del figlio"))
    if child_cf and child_cf == parent_cf:
        errors.append(_("il codice fiscale del figlio è uguale a quello del genitore."))
    child_first_name = name("child_first_name", _("Il nome del figlio"))
    child_last_name = name("child_last_name", _("Il cognome del figlio"))
    raw_date = required("child_birth_date")
    birth_date = parse_date(raw_date) if raw_date else None
    if raw_date and birth_date is None:
        errors.append(
            _("data di nascita del figlio «%(value)s» non valida: usa il formato gg/mm/aaaa o aaaa-mm-gg.")
            % {"value": _shown(raw_date)}
        )
    elif birth_date is not None and birth_date > today:
        errors.append(_("la data di nascita del figlio (%(date)s) è nel futuro.") % {"date": f"{birth_date:%d/%m/%Y}"})
    elif birth_date is not None and child_cf:
        mismatches = codice_fiscale_mismatches(child_cf, first_name="", last_name="", birth_date=birth_date, sex="")
        if "birth_date" in mismatches:
            errors.append(
                _("la data di nascita del figlio (%(date)s) non corrisponde al suo codice fiscale %(cf)s.")
                % {"date": f"{birth_date:%d/%m/%Y}", "cf": child_cf}
            )
    school_value = required("school")
    school_id = None
    if school_value:
        try:
            school_id = schools.resolve(school_value)
        except ValueError as exc:
            errors.append(str(exc))
    class_name = None
    if "class_name" in values:
        class_name = " ".join(values["class_name"][0].split())
        if len(class_name) > _CLASS_MAX:
            errors.append(
                _("la classe «%(value)s» è troppo lunga (massimo %(max)d caratteri).")
                % {"value": _shown(class_name), "max": _CLASS_MAX}
            )
        elif not class_name.isprintable():
            errors.append(_("la classe contiene caratteri non ammessi."))
    if errors:
        return None
    return FamilyRow(
        line=line,
        parent_cf=parent_cf,
        parent_first_name=parent_first_name,
        parent_last_name=parent_last_name,
        parent_email=email,
        child_cf=child_cf,
        child_first_name=child_first_name,
        child_last_name=child_last_name,
        child_birth_date=birth_date,
        child_sex=codice_fiscale_sex(child_cf),
        school_id=school_id,
        class_name=class_name,
    )


# --- validation against the portal ------------------------------------------------------------


def families_import_validate(*, file: FileArg) -> ImportReport:
    """Check the whole file (rows, repeated families, children already linked); writes nothing."""
    report = ImportReport()
    _validate(file=file, report=report)
    return report


_LINE_BITS = 28  # lines up to 268 million: more than a 100 MB file can have
_LINE_MASK = (1 << _LINE_BITS) - 1


@dataclass
class _FirstSeen:
    """Per CF, its first line and a 32-bit fingerprint of its data, packed in one small int.

    The only memory that grows with the file (~150 bytes per distinct adult or child, rows are not kept):
    it finds a child repeated with other data, and tells the write pass which row is a CF's first.
    """

    parents: dict[str, int] = field(default_factory=dict)
    children: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def pack(line: int, data: tuple) -> int:
        return (hash(data) & 0xFFFFFFFF) << _LINE_BITS | line

    @staticmethod
    def line(packed: int) -> int:
        return packed & _LINE_MASK


def _validate(*, file: FileArg, report: ImportReport) -> _FirstSeen:
    schools = school_index_load()
    seen = _FirstSeen()
    parents_chunk: list[str] = []
    children_chunk: list[tuple[int, str, str]] = []
    for row in families_rows(file=file, schools=schools, report=report):
        packed = seen.pack(row.line, row.parent_data())
        first = seen.parents.setdefault(row.parent_cf, packed)
        if first == packed:
            parents_chunk.append(row.parent_cf)
        elif first >> _LINE_BITS != packed >> _LINE_BITS:
            report.add_error(
                row.line,
                _("il genitore %(cf)s compare già alla riga %(line)d con nome, cognome o e-mail diversi.")
                % {"cf": row.parent_cf, "line": seen.line(first)},
            )
        packed = seen.pack(row.line, row.child_data())
        first = seen.children.setdefault(row.child_cf, packed)
        if first == packed:
            children_chunk.append((row.line, row.child_cf, row.parent_cf))
        elif first >> _LINE_BITS != packed >> _LINE_BITS:
            report.add_error(
                row.line,
                _("il figlio %(cf)s compare già alla riga %(line)d con dati diversi.")
                % {"cf": row.child_cf, "line": seen.line(first)},
            )
        if len(children_chunk) >= CHECK_CHUNK:
            _check_against_portal(parents_chunk, children_chunk, report)
            parents_chunk, children_chunk = [], []
    _check_against_portal(parents_chunk, children_chunk, report)
    report.parents, report.children = len(seen.parents), len(seen.children)
    if report.rows_read == 0 and not report.has_errors:
        report.add_error(None, _("Il file non contiene righe di dati, solo l'intestazione."))
    report.errors = report.sorted_errors()
    return seen


def _check_against_portal(parent_cfs: list[str], children: list[tuple[int, str, str]], report: ImportReport) -> None:
    if parent_cfs:
        known = ImportedAdult.objects.filter(codice_fiscale__in=parent_cfs).count()
        report.parents_new += len(parent_cfs) - known
    if not children:
        return
    child_cfs = [child_cf for _line, child_cf, _parent_cf in children]
    known = Child.objects.filter(codice_fiscale__in=child_cfs).count()
    report.children_new += len(child_cfs) - known
    references = dict(
        Guardianship.objects.filter(
            child__codice_fiscale__in=child_cfs, role=Guardianship.Role.REFERENCE, revoked_at__isnull=True
        ).values_list("child__codice_fiscale", "adult__codice_fiscale")
    )
    for line, child_cf, parent_cf in children:
        reference_cf = references.get(child_cf)
        if reference_cf is not None and reference_cf != parent_cf:
            report.add_error(
                line,
                _(
                    "il figlio %(cf)s è già collegato nel portale a un altro adulto di riferimento: per cambiarlo "
                    "usa l'amministrazione (tutele)."
                )
                % {"cf": child_cf},
            )


# --- apply -------------------------------------------------------------------------------------


class _Adult(NamedTuple):
    pk: int
    claimed_by_id: int | None


@dataclass(frozen=True)
class _Writer:
    actor: User | None
    now: datetime.datetime
    seen: _FirstSeen
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
            seen = _validate(file=file, report=report)
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
    rows = families_rows(file=file, schools=school_index_load(), report=second, check_cf=_cf_shape_check)
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
        if _FirstSeen.line(first_seen[row.parent_cf]) != row.line:
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
    rows = [row for row in batch if _FirstSeen.line(first_seen[row.child_cf]) == row.line]
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
        ]
    )
    report.references_granted += len(grants)
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
