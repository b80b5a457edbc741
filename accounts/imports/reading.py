"""Reading the families CSV: encoding, separator, header, then one row at a time (no database).

The file is read as a stream (files up to 100 MB, exported from Excel: ";" or ",", UTF-8 with or without BOM, or
Windows-1252); every problem goes to the report with its physical line number (the header is line 1).
"""

import codecs
import csv
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain
from typing import BinaryIO

from django.utils import timezone
from django.utils.translation import gettext as _

from .common import COLUMN_BY_ALIAS, COLUMNS, ImportReport, expected_columns_text, header_key, shown
from .rows import CfCheck, FamilyRow, SchoolIndex, cf_checker, row_parse

MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_LINE_CHARS = 64 * 1024  # a real row is well under 1 KB: longer means "not a CSV of families"
_READ_CHUNK = 1024 * 1024

FileArg = str | os.PathLike | BinaryIO


class _LineTooLongError(Exception):
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
        known = sum(header_key(cell) in COLUMN_BY_ALIAS for cell in cells)
        if known > best_known or (known == best_known and line.count(delimiter) > line.count(best)):
            best, best_known = delimiter, known
    return best


def _header_mapping(header: list[str], line: int, report: ImportReport) -> dict[str, tuple[int, str]] | None:
    """Column key -> (index, the header cell as written), or None after a file-level error."""
    mapping: dict[str, tuple[int, str]] = {}
    ignored = []
    for index, cell in enumerate(header):
        key = header_key(cell)
        if not key:
            continue
        column = COLUMN_BY_ALIAS.get(key)
        if column is None:
            ignored.append(shown(cell.strip()))
        elif column.key in mapping:
            report.add_error(
                line,
                _("La colonna «%(column)s» compare due volte nell'intestazione.") % {"column": shown(cell.strip())},
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
        for text_line in lines:
            if text_line.strip():
                first = text_line
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
        row = row_parse(line, values, errors, schools=schools, check_cf=check_cf, today=today)
        for message in errors:
            report.add_error(line, message)
        if row is not None:
            yield row
