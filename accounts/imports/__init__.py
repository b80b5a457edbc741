"""Families the Comune already knows, imported from the office's CSV: validate everything, then write all or nothing.

The file is read as a stream, one row at a time (files up to 100 MB, exported from Excel: ";" or ",",
UTF-8 with or without BOM, or Windows-1252). Validation goes over the whole file first and reports every
problem with its physical line number (the header is line 1); only a file without errors is applied, in one
transaction, in batches: existing CFs are looked up a chunk at a time and rows are written with bulk
inserts and updates, never one query per row.

    families_rows(...)            pure parsing of one file (no database): yields valid rows, reports the rest
    families_import_validate(...) the whole file against the portal (schools, children already linked)
    families_import_apply(...)    validate, then write (or, with dry_run, count what would change)

The parts: `common` (columns, report), `rows` (one row's checks, schools), `reading` (the CSV, row by row),
`validation` (the whole file against the portal), `writing` (apply). Import from `accounts.imports`.
"""

from .common import COLUMNS, MAX_ERRORS_KEPT, Column, ImportReport, expected_columns_text
from .reading import MAX_FILE_BYTES, MAX_LINE_CHARS, FileArg, families_rows
from .rows import CfCheck, FamilyRow, SchoolIndex, cf_checker, parse_date, school_index_load
from .validation import CHECK_CHUNK, families_import_validate
from .writing import WRITE_BATCH, families_import_apply

__all__ = [
    "CHECK_CHUNK",
    "COLUMNS",
    "MAX_ERRORS_KEPT",
    "MAX_FILE_BYTES",
    "MAX_LINE_CHARS",
    "WRITE_BATCH",
    "CfCheck",
    "Column",
    "FamilyRow",
    "FileArg",
    "ImportReport",
    "SchoolIndex",
    "cf_checker",
    "expected_columns_text",
    "families_import_apply",
    "families_import_validate",
    "families_rows",
    "parse_date",
    "school_index_load",
]
