"""CSV files as Excel opens them in Italy: ";" separated, UTF-8 with a BOM, CRLF lines, decimal comma,
dd/mm/yyyy dates in Rome time; text a spreadsheet would run as a formula is defused with a leading '.

Exports are (filename, content_type, iterator of bytes chunks), streamed: never built in memory.
"""

import csv
import datetime
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone

BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
_LINES_PER_CHUNK = 500
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Export = tuple[str, str, Iterator[bytes]]


class _Echo:
    """A file-like object whose write returns the line: csv.writer formats, we decide where it goes."""

    def write(self, value: str) -> str:
        return value


def cell(value) -> str:
    """One value as the file shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "sì" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, datetime.datetime):
        return f"{timezone.localtime(value) if timezone.is_aware(value) else value:%d/%m/%Y %H:%M:%S}"
    if isinstance(value, datetime.date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, datetime.time):
        return f"{value:%H:%M}"
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_chunks(header: Sequence[str] | None, rows: Iterable[Sequence]) -> Iterator[bytes]:
    """The header (if any) and the rows as UTF-8 bytes with a BOM, a few hundred lines per chunk."""
    writer = csv.writer(_Echo(), delimiter=";", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    lines = [BOM + (writer.writerow(header) if header is not None else "")]
    for row in rows:
        lines.append(writer.writerow([cell(value) for value in row]))
        if len(lines) >= _LINES_PER_CHUNK:
            yield "".join(lines).encode("utf-8")
            lines.clear()
    if lines:
        yield "".join(lines).encode("utf-8")


def csv_response(export: Export) -> StreamingHttpResponse:
    """A download of an export, never cached (the files hold children's and payers' data)."""
    filename, content_type, chunks = export
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def export_write(export: Export, path) -> int:
    """Write an export to a file (management commands); returns the bytes written."""
    _filename, _content_type, chunks = export
    written = 0
    with open(path, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
            written += len(chunk)
    return written
