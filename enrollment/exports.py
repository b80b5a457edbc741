"""Files for schools, kitchens and transport operators: CSV that Excel opens as it is.

Every exporter returns `(filename, content_type, chunks)` (as pretix's exporters): `chunks` is a generator of
bytes — ";" separated, UTF-8 with a BOM, CRLF lines, fields quoted only when they hold ";", quotes or line
breaks. The rows are read with a server-side cursor (`values_list(...).iterator(chunk_size=2000)`), so a file
of 20,000 rows is streamed in constant memory: `csv_response` wraps it in a StreamingHttpResponse, the
management commands write it to a file.

What each file lists (the pages that offer them say the same):
- roster (`roster_export`): the ACCEPTED enrollments of a school year, one row per child per school and class,
  with the services the child is accepted in. Enrollments still to be examined, waitlisted, rejected or
  withdrawn are not listed.
- kitchen (`kitchen_export`): for one day, per school, the meals of the children accepted in the canteen,
  counted by diet. A diet counts only once the office has accepted it; until then the child has the standard
  meal (a separate line counts the requests still to be decided). Names are listed only for a user allowed to
  see health data, and the listing is recorded (HealthDataAccess, action "export"); the medical details are
  never in any file: a medical diet is only "dieta medica".
- transport (`transport_export`): the ACCEPTED transport enrollments per route and stop, in stop order.

Column names and the kitchen's diet labels are fixed Italian words whatever the user's language: the files
feed the schools' and the operators' own spreadsheets and programs.
Cells that a spreadsheet would run as a formula (starting with = + - @) are prefixed with an apostrophe.
"""

import datetime
import itertools
import re
from collections.abc import Iterator, Sequence

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.csv_export import Export, csv_chunks

from . import hooks
from .models import HEALTH_PERMISSION, Enrollment, HealthDataAccess, Route, School, SchoolYear, ServiceKind
from .services import health_data_access_record

CONTENT_TYPE = "text/csv; charset=utf-8"
CHUNK_SIZE = 2000  # rows fetched per round trip of the server-side cursor
_LINES_PER_CHUNK = 500  # CSV lines per bytes chunk handed to the response
ROSTER_STATUSES = (Enrollment.Status.ACCEPTED,)
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


# Kitchen lines, in this order: the value stored on the enrollment (None: the standard meal) and the label.
KITCHEN_DIETS: list[tuple[str | None, str]] = [
    (None, "standard"),
    (Enrollment.Diet.NO_PORK, "senza maiale"),
    (Enrollment.Diet.NO_MEAT, "senza carne"),
    (Enrollment.Diet.VEGETARIAN, "vegetariana"),
    (Enrollment.Diet.OTHER, "altro"),
    (Enrollment.Diet.MEDICAL, "dieta medica"),
]
KITCHEN_DIET_LABELS = dict(KITCHEN_DIETS)
KITCHEN_TOTAL = "totale pasti"
KITCHEN_PENDING = "richieste di dieta da decidere (pasto standard)"
KITCHEN_LIGHT = "di cui pasti in bianco"
KITCHEN_CANCELLED = "disdetti dalle famiglie (non inclusi)"


def _safe(text: str) -> str:
    return _UNSAFE_FILENAME.sub("-", text).strip("-") or "file"


def _schools_part(school_ids: Sequence[int]) -> str:
    if len(school_ids) == 1:
        code = School.objects.filter(pk=school_ids[0]).values_list("ministry_code", flat=True).first()
        return _safe(code or str(school_ids[0]))
    return f"{len(school_ids)}-scuole"


# --- roster ------------------------------------------------------------------------------------

ROSTER_HEADER = [
    "codice_meccanografico",
    "scuola",
    "classe",
    "cognome",
    "nome",
    "codice_fiscale",
    "data_nascita",
    "servizi",
]


def roster_rows(*, school_ids: Sequence[int], school_year: SchoolYear) -> Iterator[tuple]:
    """One row per child per school and class, with the services the child is accepted in (database order)."""
    stream = (
        Enrollment.objects.filter(status__in=ROSTER_STATUSES, school_id__in=list(school_ids), school_year=school_year)
        .order_by(
            "school__name",
            "school__ministry_code",
            "school_class__name",
            "child__last_name",
            "child__first_name",
            "child__codice_fiscale",
            "service__kind",
        )
        .values_list(
            "school__ministry_code",
            "school__name",
            "school_class__name",
            "child__last_name",
            "child__first_name",
            "child__codice_fiscale",
            "child__birth_date",
            "service__name",
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for _key, rows in itertools.groupby(stream, key=lambda row: (row[0], row[2], row[5])):
        group = list(rows)  # the services of one child: a handful of rows
        yield (*group[0][:7], ", ".join(dict.fromkeys(row[7] for row in group)))


def roster_export(*, school_ids: Sequence[int], school_year: SchoolYear) -> Export:
    """The accepted children of the schools for a school year, per school and class."""
    filename = f"iscritti_{_safe(school_year.name)}_{_schools_part(school_ids)}.csv"
    return (
        filename,
        CONTENT_TYPE,
        csv_chunks(ROSTER_HEADER, roster_rows(school_ids=school_ids, school_year=school_year)),
    )


# --- kitchen -----------------------------------------------------------------------------------

KITCHEN_HEADER = ["giorno", "codice_meccanografico", "scuola", "dieta", "pasti", "classe", "cognome", "nome", "nota"]


def _canteen_on(day: datetime.date, school_ids: Sequence[int]):
    return Enrollment.objects.filter(
        status=Enrollment.Status.ACCEPTED,
        service__kind=ServiceKind.CANTEEN,
        school_id__in=list(school_ids),
        school_year__starts_on__lte=day,
        school_year__ends_on__gte=day,
    )


def kitchen_counts(*, school_ids: Sequence[int], day: datetime.date) -> dict[int, dict]:
    """Per school id: meals to cook per kitchen diet (None = standard), the total, the light meals among them, the
    diet requests to decide, and the meals the families cancelled (not in the total)."""
    counts: dict[int, dict] = {
        school_id: {
            "diets": dict.fromkeys(KITCHEN_DIET_LABELS, 0),
            "total": 0,
            "pending": 0,
            "light": 0,
            "cancelled": 0,
        }
        for school_id in school_ids
    }
    rows = list(_canteen_on(day, school_ids).values_list("pk", "school_id", "diet", "diet_status"))
    requests = hooks.kitchen_requests(day=day, enrollment_ids=[row[0] for row in rows])
    for pk, school_id, diet, diet_status in rows:
        entry = counts[school_id]
        request = requests.get(pk)
        if request == "cancel":
            entry["cancelled"] += 1
            continue
        kitchen_diet = diet if diet_status == Enrollment.DietStatus.ACCEPTED and diet != Enrollment.Diet.NONE else None
        entry["diets"][kitchen_diet if kitchen_diet in KITCHEN_DIET_LABELS else Enrollment.Diet.OTHER] += 1
        entry["total"] += 1
        entry["light"] += request == "light"
        if diet_status == Enrollment.DietStatus.REQUESTED:
            entry["pending"] += 1
    return counts


def kitchen_rows(*, school_ids: Sequence[int], day: datetime.date, include_names: bool) -> Iterator[tuple]:
    schools = list(
        School.objects.filter(pk__in=list(school_ids))
        .order_by("name", "ministry_code")
        .values_list("pk", "ministry_code", "name")
    )
    counts = kitchen_counts(school_ids=[pk for pk, _code, _name in schools], day=day)
    for pk, code, name in schools:
        entry = counts[pk]
        for value, label in KITCHEN_DIETS:
            yield (day, code, name, label, entry["diets"][value], "", "", "", "")
        yield (day, code, name, KITCHEN_TOTAL, entry["total"], "", "", "", "")
        yield (day, code, name, KITCHEN_PENDING, entry["pending"], "", "", "", "")
        yield (day, code, name, KITCHEN_LIGHT, entry["light"], "", "", "", "")
        yield (day, code, name, KITCHEN_CANCELLED, entry["cancelled"], "", "", "", "")
    if not include_names:
        return
    names = (
        _canteen_on(day, [pk for pk, _code, _name in schools])
        .filter(diet_status=Enrollment.DietStatus.ACCEPTED)
        .exclude(diet=Enrollment.Diet.NONE)
        .order_by(
            "school__name", "school__ministry_code", "school_class__name", "child__last_name", "child__first_name"
        )
        .values_list(
            "school__ministry_code",
            "school__name",
            "diet",
            "diet_note",
            "school_class__name",
            "child__last_name",
            "child__first_name",
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for code, name, diet, note, class_name, last_name, first_name in names:
        # A medical diet is only named as such: its details are health data and stay in the portal.
        shown_note = "" if diet == Enrollment.Diet.MEDICAL else note
        label = KITCHEN_DIET_LABELS.get(diet, KITCHEN_DIET_LABELS[Enrollment.Diet.OTHER])
        yield (day, code, name, label, "", class_name, last_name, first_name, shown_note)


def kitchen_export(*, school_ids: Sequence[int], day: datetime.date, include_names: bool, user=None) -> Export:
    """The meals of a day per school, counted by diet; with `include_names`, who has which special diet.

    Names need a `user` allowed to see health data: the listing is recorded as an access to health data.
    """
    if include_names:
        if user is None or not user.has_perm(HEALTH_PERMISSION):
            raise PermissionDenied
        health_data_access_record(
            user=user,
            enrollment=None,
            action=HealthDataAccess.Action.EXPORT,
            detail=_("Elenco mensa del %(day)s: %(schools)s")
            % {"day": f"{day:%d/%m/%Y}", "schools": _schools_part(school_ids)},
        )
    suffix = "_nominativi" if include_names else ""
    filename = f"mensa_{day:%Y-%m-%d}_{_schools_part(school_ids)}{suffix}.csv"
    rows = kitchen_rows(school_ids=school_ids, day=day, include_names=include_names)
    return filename, CONTENT_TYPE, csv_chunks(KITCHEN_HEADER, rows)


# --- transport ---------------------------------------------------------------------------------

TRANSPORT_HEADER = [
    "linea",
    "ordine_fermata",
    "fermata",
    "indirizzo_fermata",
    "orario_andata",
    "orario_ritorno",
    "cognome",
    "nome",
    "codice_fiscale",
    "scuola",
    "classe",
    "percorso",
    "adulti_autorizzati",
]


def transport_rows(*, route_ids: Sequence[int], school_year: SchoolYear) -> Iterator[tuple]:
    directions = {value: str(label) for value, label in Enrollment.Direction.choices}
    stream = (
        Enrollment.objects.filter(
            status=Enrollment.Status.ACCEPTED,
            service__kind=ServiceKind.TRANSPORT,
            route_id__in=list(route_ids),
            school_year=school_year,
        )
        .order_by("route__name", "stop__order", "child__last_name", "child__first_name", "child__codice_fiscale")
        .values_list(
            "route__name",
            "stop__order",
            "stop__name",
            "stop__address",
            "stop__outbound_time",
            "stop__return_time",
            "child__last_name",
            "child__first_name",
            "child__codice_fiscale",
            "school__name",
            "school_class__name",
            "direction",
            "pickup_adults",
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for *head, direction, adults in stream:
        people = " | ".join(line.strip() for line in (adults or "").splitlines() if line.strip())
        yield (*head, directions.get(direction, direction), people)


def transport_export(*, route_ids: Sequence[int], school_year: SchoolYear) -> Export:
    """The accepted children of the routes for a school year, per route and stop, in stop order."""
    if len(route_ids) == 1:
        name = Route.objects.filter(pk=route_ids[0]).values_list("name", flat=True).first() or str(route_ids[0])
        part = _safe(name)
    else:
        part = f"{len(route_ids)}-linee"
    filename = f"trasporto_{_safe(school_year.name)}_{part}.csv"
    rows = transport_rows(route_ids=route_ids, school_year=school_year)
    return filename, CONTENT_TYPE, csv_chunks(TRANSPORT_HEADER, rows)


def day_parse(text: str) -> datetime.date | None:
    """A day typed as dd/mm/yyyy or sent by a date input (yyyy-mm-dd); None when it is not a date."""
    text = (text or "").strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar day, no time
        except ValueError:
            continue
    return None


def school_year_current(today: datetime.date | None = None) -> SchoolYear | None:
    """The school year running today, else the next to start, else the last one."""
    today = today or timezone.localdate()
    years = SchoolYear.objects.all()
    return (
        years.filter(starts_on__lte=today, ends_on__gte=today).first()
        or years.filter(starts_on__gt=today).order_by("starts_on").first()
        or years.order_by("-starts_on").first()
    )
