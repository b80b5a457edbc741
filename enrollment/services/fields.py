"""The draft's fields, one group per service step (school, isee, diet, transport): typed values in, checked, written.

The wizard's forms hand typed values (model instances, bool, Decimal, date, str); a value of another type, an
instance of another model or a choice that is not offered is refused with InvalidChoiceError on its field, and
the calling service saves nothing. The cross-field rules (a class of the chosen school, a stop on the chosen route,
a route of the draft's year that serves its school) are in `consistency_check`, run after every group.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext, ngettext

from ..errors import InvalidChoiceError
from ..models import Enrollment, Route, School, SchoolClass, ServiceKind, Stop
from ..validators import validate_dsu_protocol, validate_isee_amount

# The fields each service step may save (enrollment.step keeps the name of the last step saved).
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "school": ("school", "school_class", "resident"),
    "isee": ("isee_presented", "isee_amount", "isee_protocol", "isee_expires_on"),
    "diet": ("diet", "diet_note"),
    "transport": ("route", "stop", "direction", "pickup_adults"),
}
EDITABLE_FIELDS: tuple[str, ...] = tuple(name for names in STEP_FIELDS.values() for name in names)
TRANSPORT_FIELDS = ("route", "stop", "direction")
DIET_SERVICES = (ServiceKind.CANTEEN, ServiceKind.NURSERY)
PICKUP_SERVICES = (ServiceKind.TRANSPORT, ServiceKind.NURSERY)
ETHICAL_DIETS = (Enrollment.Diet.NO_PORK, Enrollment.Diet.NO_MEAT, Enrollment.Diet.VEGETARIAN, Enrollment.Diet.OTHER)

StepData = Mapping[str, object]
M = TypeVar("M", bound=Model)


# --- typed values --------------------------------------------------------------------------------------------


def _instance(model: type[M], value: object, *, field: str) -> M | None:
    """A saved instance of `model`, or None; anything else (a pk, a string, another model) is refused."""
    if value is None:
        return None
    if not isinstance(value, model) or value.pk is None:
        raise InvalidChoiceError(field=field)
    return value


def _bool_or_none(value: object, *, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise InvalidChoiceError(field=field)


def _text(value: object, *, field: str, max_length: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidChoiceError(field=field)
    text = value.strip()
    if len(text) > max_length:
        raise InvalidChoiceError(
            gettext("Testo troppo lungo: al massimo %(count)s caratteri.") % {"count": max_length}, field=field
        )
    return text


def _isee_amount(value: object) -> Decimal | None:
    if value is None:
        return None
    if not isinstance(value, Decimal):
        raise InvalidChoiceError(field="isee_amount")
    try:
        return validate_isee_amount(value)
    except ValidationError as exc:
        raise InvalidChoiceError(" ".join(exc.messages), field="isee_amount") from exc


def _isee_protocol(value: object) -> str:
    text = _text(value, field="isee_protocol", max_length=100)
    if not text:
        return ""
    try:
        return validate_dsu_protocol(text)
    except ValidationError as exc:
        raise InvalidChoiceError(" ".join(exc.messages), field="isee_protocol") from exc


def _date_or_none(value: object, *, field: str) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    raise InvalidChoiceError(field=field)


def _choice(value: object, *, field: str, choices: list[str], empty: str) -> str:
    if value is None or value == "":
        return empty
    if not isinstance(value, str) or value not in choices:
        raise InvalidChoiceError(field=field)
    return value


# --- one group per service step ------------------------------------------------------------------------------


def _school_apply(enrollment: Enrollment, data: StepData) -> None:
    if "school" in data:
        school = _instance(School, data["school"], field="school")
        if school is None:
            enrollment.school = None
            enrollment.school_class = None
        elif school.pk != enrollment.school_id:
            enrollment.school = school
            if enrollment.school_class_id and "school_class" not in data:
                enrollment.school_class = None  # a class of the previous school
    if "school_class" in data:
        enrollment.school_class = _instance(SchoolClass, data["school_class"], field="school_class")
    if "resident" in data:
        enrollment.resident = _bool_or_none(data["resident"], field="resident")


def _isee_apply(enrollment: Enrollment, data: StepData) -> None:
    if "isee_presented" in data:
        enrollment.isee_presented = _bool_or_none(data["isee_presented"], field="isee_presented")
    if "isee_amount" in data:
        enrollment.isee_amount = _isee_amount(data["isee_amount"])
    if "isee_protocol" in data:
        enrollment.isee_protocol = _isee_protocol(data["isee_protocol"])
    if "isee_expires_on" in data:
        enrollment.isee_expires_on = _date_or_none(data["isee_expires_on"], field="isee_expires_on")


def _diet_apply(enrollment: Enrollment, data: StepData) -> None:
    kind = enrollment.service.kind
    if "diet" in data:
        diet = _choice(data["diet"], field="diet", choices=Enrollment.Diet.values, empty=Enrollment.Diet.NONE)
        if kind not in DIET_SERVICES and diet != Enrollment.Diet.NONE:
            raise InvalidChoiceError(field="diet")
        enrollment.diet = diet
    if "diet_note" in data:
        enrollment.diet_note = _text(data["diet_note"], field="diet_note", max_length=200)


def _pickup_apply(enrollment: Enrollment, data: StepData) -> None:
    if "pickup_adults" in data:
        if enrollment.service.kind not in PICKUP_SERVICES and data["pickup_adults"]:
            raise InvalidChoiceError(field="pickup_adults")
        enrollment.pickup_adults = _text(data["pickup_adults"], field="pickup_adults", max_length=2000)


def _transport_apply(enrollment: Enrollment, data: StepData) -> None:
    if enrollment.service.kind != ServiceKind.TRANSPORT:
        for name in TRANSPORT_FIELDS:
            if data.get(name) not in (None, ""):
                raise InvalidChoiceError(field=name)
        return
    if "route" in data:
        route = _instance(Route, data["route"], field="route")
        if (route.pk if route else None) != enrollment.route_id:
            enrollment.route = route
            if enrollment.stop_id and "stop" not in data:
                enrollment.stop = None  # a stop of the previous route
    if "stop" in data:
        stop = _instance(Stop, data["stop"], field="stop")
        enrollment.stop = stop
        if stop is not None and enrollment.route_id is None and "route" not in data:
            enrollment.route_id = stop.route_id
    if "direction" in data:
        enrollment.direction = _choice(
            data["direction"], field="direction", choices=Enrollment.Direction.values, empty=""
        )


def fields_apply(enrollment: Enrollment, data: StepData) -> None:
    """Write the given fields onto the (locked) draft, each group checked on its own; cross-field rules after."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidChoiceError(field=sorted(unknown)[0])
    _school_apply(enrollment, data)
    _isee_apply(enrollment, data)
    _diet_apply(enrollment, data)
    _pickup_apply(enrollment, data)
    _transport_apply(enrollment, data)


# --- cross-field rules ---------------------------------------------------------------------------------------


def served_school_ids(service_id: int) -> set[int]:
    return set(School.objects.filter(services__pk=service_id).values_list("pk", flat=True))


def route_serves(route: Route, school_id: int | None) -> bool:
    schools = set(route.schools.values_list("pk", flat=True))
    return not schools or school_id in schools


def age_in_months(*, birth_date: datetime.date, on: datetime.date) -> int:
    """Whole months of age on a day (a child born on 15 March is 1 month old from 15 April)."""
    return (on.year - birth_date.year) * 12 + on.month - birth_date.month - (on.day < birth_date.day)


def _age_words(months: int) -> str:
    if months >= 24:
        return ngettext("%(n)s anno", "%(n)s anni", months // 12) % {"n": months // 12}
    return ngettext("%(n)s mese", "%(n)s mesi", months) % {"n": months}


def _age_check(enrollment: Enrollment, school_class: SchoolClass) -> None:
    """A nursery group takes children of its age range, counted at the start of the school year."""
    start = enrollment.school_year.starts_on
    age = age_in_months(birth_date=enrollment.child.birth_date, on=start)
    if school_class.age_fits(age):
        return
    low, high = school_class.min_age_months, school_class.max_age_months
    if low is not None and high is not None:
        accepts = gettext("da %(low)s a %(high)s") % {"low": _age_words(low), "high": _age_words(high)}
    elif low is not None:
        accepts = gettext("da %(low)s in su") % {"low": _age_words(low)}
    else:
        accepts = gettext("fino a %(high)s") % {"high": _age_words(high or 0)}
    raise InvalidChoiceError(
        gettext(
            "Il gruppo «%(group)s» accoglie bambini %(accepts)s all'inizio dell'anno (%(start)s); %(child)s avrà "
            "%(age)s: scegli il gruppo della sua età."
        )
        % {
            "group": school_class.name,
            "accepts": accepts,
            "start": start.strftime("%d/%m/%Y"),
            "child": enrollment.child.first_name,
            "age": _age_words(age),
        },
        field="school_class",
    )


def _places_check(enrollment: Enrollment) -> None:
    if enrollment.school_id and enrollment.school_id not in served_school_ids(enrollment.service_id):
        raise InvalidChoiceError(
            gettext("Il servizio scelto non è attivo in questa scuola: scegli una delle scuole dell'elenco."),
            field="school",
        )
    school_class = enrollment.school_class if enrollment.school_class_id else None
    if school_class is not None and school_class.school_id != enrollment.school_id:
        raise InvalidChoiceError(gettext("La classe scelta non è di questa scuola."), field="school_class")
    if school_class is not None:
        _age_check(enrollment, school_class)
    route = enrollment.route if enrollment.route_id else None
    if route is not None:
        if route.school_year_id != enrollment.school_year_id:
            raise InvalidChoiceError(gettext("La linea scelta non è di questo anno scolastico."), field="route")
        if enrollment.school_id and not route_serves(route, enrollment.school_id):
            raise InvalidChoiceError(gettext("La linea scelta non serve questa scuola."), field="route")
    stop = enrollment.stop if enrollment.stop_id else None
    if stop is not None and stop.route_id != enrollment.route_id:
        raise InvalidChoiceError(gettext("La fermata scelta non è su questa linea."), field="stop")


def consistency_check(enrollment: Enrollment) -> None:
    """The cross-field rules (also what a tampered form could break). Raises InvalidChoiceError with the field;
    clears what an answer makes moot (the ISEE data without an ISEE, the note of a diet that needs none)."""
    _places_check(enrollment)
    if enrollment.isee_presented is False:
        enrollment.isee_amount = None
        enrollment.isee_protocol = ""
        enrollment.isee_expires_on = None
    if enrollment.diet not in ETHICAL_DIETS:
        enrollment.diet_note = ""
