"""One data row of the families CSV, checked on its own (no database): codici fiscali, names, dates, school.

The schools are read once per file (`school_index_load`) and resolved from memory.
"""

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from enrollment.models import School

from ..validators import (
    codice_fiscale_mismatches,
    codice_fiscale_sex,
    normalize_codice_fiscale,
    validate_codice_fiscale,
    validate_person_name,
)
from .common import shown

_NAME_MAX = 100
_CLASS_MAX = 20
_EMAIL_MAX = 254


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
                    _("più scuole si chiamano «%(value)s»: indica il codice meccanografico.") % {"value": shown(value)}
                )
            return pk
        raise ValueError(
            _(
                "scuola «%(value)s» sconosciuta: indica il codice meccanografico o il nome esatto di una scuola "
                "presente nel portale."
            )
            % {"value": shown(value)}
        )


def school_index_load() -> SchoolIndex:
    return SchoolIndex(School.objects.values_list("pk", "ministry_code", "name"))


# --- rows --------------------------------------------------------------------------------------


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


def cf_shape_check(value: str) -> tuple[str, str]:
    """The second reading of an already validated file only needs the normalised form."""
    cf = normalize_codice_fiscale(value)
    return (cf, "") if _CF_SHAPE.match(cf) else ("", _("Codice fiscale non valido."))


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


class _RowReader:
    """Reads one row's cells, appending to `errors` (in the order of the columns) what is wrong with them."""

    def __init__(self, values: dict[str, tuple[str, str]], errors: list[str], *, check_cf: CfCheck) -> None:
        self.values = values
        self.errors = errors
        self.check_cf = check_cf

    def required(self, key: str) -> str:
        value, label = self.values[key]
        if not value:
            self.errors.append(
                _("cella vuota nella colonna «%(column)s»: il dato è obbligatorio.") % {"column": label}
            )
        return value

    def codice_fiscale(self, key: str, whose: str) -> str:
        value = self.required(key)
        if not value:
            return ""
        cf, problem = self.check_cf(value)
        if problem:
            self.errors.append(
                _("codice fiscale %(whose)s «%(value)s» non valido: %(problem)s")
                % {"whose": whose, "value": shown(value), "problem": problem}
            )
        return cf

    def name(self, key: str, what: str) -> str:
        value = " ".join(self.required(key).split())
        if not value:
            return ""
        if len(value) > _NAME_MAX:
            self.errors.append(
                _("%(what)s è troppo lungo (massimo %(max)d caratteri).") % {"what": what, "max": _NAME_MAX}
            )
            return ""
        try:
            validate_person_name(value)
        except ValidationError as exc:
            self.errors.append(f"{what}: {' '.join(str(message) for message in exc.messages)}")
            return ""
        return value

    def email(self) -> str:
        email = self.values["parent_email"][0] if "parent_email" in self.values else ""
        if email:
            try:
                if len(email) > _EMAIL_MAX:
                    raise ValidationError("too long")
                validate_email(email)
            except ValidationError:
                self.errors.append(_("e-mail del genitore «%(value)s» non valida.") % {"value": shown(email)})
        return email

    def birth_date(self, *, child_cf: str, today: datetime.date) -> datetime.date | None:
        raw_date = self.required("child_birth_date")
        birth_date = parse_date(raw_date) if raw_date else None
        if raw_date and birth_date is None:
            self.errors.append(
                _("data di nascita del figlio «%(value)s» non valida: usa il formato gg/mm/aaaa o aaaa-mm-gg.")
                % {"value": shown(raw_date)}
            )
        elif birth_date is not None and birth_date > today:
            self.errors.append(
                _("la data di nascita del figlio (%(date)s) è nel futuro.") % {"date": f"{birth_date:%d/%m/%Y}"}
            )
        elif birth_date is not None and child_cf:
            mismatches = codice_fiscale_mismatches(
                child_cf, first_name="", last_name="", birth_date=birth_date, sex=""
            )
            if "birth_date" in mismatches:
                self.errors.append(
                    _("la data di nascita del figlio (%(date)s) non corrisponde al suo codice fiscale %(cf)s.")
                    % {"date": f"{birth_date:%d/%m/%Y}", "cf": child_cf}
                )
        return birth_date

    def school(self, schools: SchoolIndex) -> int | None:
        school_value = self.required("school")
        if not school_value:
            return None
        try:
            return schools.resolve(school_value)
        except ValueError as exc:
            self.errors.append(str(exc))
            return None

    def class_name(self) -> str | None:
        if "class_name" not in self.values:
            return None
        class_name = " ".join(self.values["class_name"][0].split())
        if len(class_name) > _CLASS_MAX:
            self.errors.append(
                _("la classe «%(value)s» è troppo lunga (massimo %(max)d caratteri).")
                % {"value": shown(class_name), "max": _CLASS_MAX}
            )
        elif not class_name.isprintable():
            self.errors.append(_("la classe contiene caratteri non ammessi."))
        return class_name


def row_parse(
    line: int,
    values: dict[str, tuple[str, str]],
    errors: list[str],
    *,
    schools: SchoolIndex,
    check_cf: CfCheck,
    today: datetime.date,
) -> FamilyRow | None:
    """One CSV row as a FamilyRow, or None with what is wrong appended to `errors` (in the columns' order)."""
    read = _RowReader(values, errors, check_cf=check_cf)
    parent_cf = read.codice_fiscale("parent_cf", _("del genitore"))
    parent_first_name = read.name("parent_first_name", _("Il nome del genitore"))
    parent_last_name = read.name("parent_last_name", _("Il cognome del genitore"))
    email = read.email()
    child_cf = read.codice_fiscale("child_cf", _("del figlio"))
    if child_cf and child_cf == parent_cf:
        errors.append(_("il codice fiscale del figlio è uguale a quello del genitore."))
    child_first_name = read.name("child_first_name", _("Il nome del figlio"))
    child_last_name = read.name("child_last_name", _("Il cognome del figlio"))
    birth_date = read.birth_date(child_cf=child_cf, today=today)
    school_id = read.school(schools)
    class_name = read.class_name()
    if errors or birth_date is None or school_id is None:  # a missing date or school is always an error too
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
