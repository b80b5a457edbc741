"""The whole families file checked against the portal: repeated families, children already linked elsewhere.

Writes nothing; `validate_file` is also the first pass of the import (`writing`).
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ..models import Child, Guardianship, ImportedAdult
from .common import ImportReport
from .reading import FileArg, families_rows
from .rows import school_index_load

CHECK_CHUNK = 1000  # rows checked against the portal per query


def families_import_validate(*, file: FileArg) -> ImportReport:
    """Check the whole file (rows, repeated families, children already linked); writes nothing."""
    report = ImportReport()
    validate_file(file=file, report=report)
    return report


_LINE_BITS = 28  # lines up to 268 million: more than a 100 MB file can have
_LINE_MASK = (1 << _LINE_BITS) - 1


@dataclass
class FirstSeen:
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


def validate_file(*, file: FileArg, report: ImportReport) -> FirstSeen:
    schools = school_index_load()
    seen = FirstSeen()
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
