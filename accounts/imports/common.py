"""What the parts of the families import share: the CSV's columns and the report of what was found and done."""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_ERRORS_KEPT = 10_000  # every error is counted; the first ones are kept with their line


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


def header_key(value: str) -> str:
    """Header cells compare without case, spaces, underscores or dashes: "CF Genitore" is cf_genitore."""
    return re.sub(r"[^0-9a-z]", "", value.casefold())


COLUMN_BY_ALIAS = {header_key(alias): column for column in COLUMNS for alias in column.aliases}


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


def shown(value: str, limit: int = 40) -> str:
    value = _printable(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"
