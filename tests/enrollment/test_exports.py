"""CSV exports for schools, kitchens and transport: content, encoding, quoting, scope, streaming, commands."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.http import StreamingHttpResponse
from django.urls import reverse

from enrollment import exports
from enrollment.models import Enrollment, HealthDataAccess, MedicalDiet
from portal.csv_export import csv_response

from .factories import ChildFactory, StopFactory, UserFactory, enrollment_make
from .helpers import signed_in

pytestmark = pytest.mark.django_db

Status = Enrollment.Status
Diet = Enrollment.Diet
DietStatus = Enrollment.DietStatus
DAY = datetime.date(2026, 10, 5)


def content_of(export) -> bytes:
    _filename, content_type, chunks = export
    assert content_type == "text/csv; charset=utf-8"
    return b"".join(chunks)


def rows_of(export) -> list[list[str]]:
    data = content_of(export)
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM first, so that Excel reads the accents"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def accepted(**fields) -> Enrollment:
    return enrollment_make(status=Status.ACCEPTED, **fields)


# --- roster --------------------------------------------------------------------------------------


def test_roster_lists_accepted_children_per_school_and_class_with_their_services(
    school, other_school, school_class, canteen, transport, school_year
):
    anna = ChildFactory(first_name="Anna", last_name="Bianchi", codice_fiscale="BNCNNA18A41H501X")
    accepted(child=anna, service=canteen, school_year=school_year, school=school, school_class=school_class)
    accepted(child=anna, service=transport, school_year=school_year, school=school, school_class=school_class)
    bruno = ChildFactory(first_name="Bruno", last_name="Aranci", birth_date=datetime.date(2019, 1, 2))
    accepted(child=bruno, service=canteen, school_year=school_year, school=school, school_class=school_class)
    for status in (Status.SUBMITTED, Status.WAITLISTED, Status.REJECTED, Status.WITHDRAWN, Status.DRAFT):
        enrollment_make(status=status, service=canteen, school_year=school_year, school=school)
    accepted(service=canteen, school_year=school_year, school=other_school)  # another school

    filename, _content_type, _chunks = export = exports.roster_export(school_ids=[school.pk], school_year=school_year)
    rows = rows_of(export)

    assert filename == "iscritti_2026-2027_RMEE00101X.csv"
    assert rows[0] == exports.ROSTER_HEADER
    assert rows[1:] == [
        ["RMEE00101X", school.name, "3A", "Aranci", "Bruno", bruno.codice_fiscale, "02/01/2019", "Mensa scolastica"],
        [
            "RMEE00101X",
            school.name,
            "3A",
            "Bianchi",
            "Anna",
            "BNCNNA18A41H501X",
            "03/05/2018",
            "Mensa scolastica, Trasporto scolastico",
        ],
    ]


def test_names_with_separators_and_quotes_are_quoted_and_lines_end_with_crlf(
    school, canteen, school_year, school_class
):
    child = ChildFactory(first_name='Maria "Mia"', last_name="D'Amico; Rossi")
    accepted(child=child, service=canteen, school_year=school_year, school=school, school_class=school_class)

    data = content_of(exports.roster_export(school_ids=[school.pk], school_year=school_year)).decode("utf-8-sig")

    assert '"D\'Amico; Rossi";"Maria ""Mia"""' in data
    assert data.count("\r\n") == 2
    assert "\n" not in data.replace("\r\n", "")
    assert rows_of(exports.roster_export(school_ids=[school.pk], school_year=school_year))[1][3:5] == [
        "D'Amico; Rossi",
        'Maria "Mia"',
    ]


def test_accents_are_utf8_and_formulas_are_defused(school, canteen, school_year):
    child = ChildFactory(first_name="Niccolò", last_name='=HYPERLINK("http://x")')
    accepted(child=child, service=canteen, school_year=school_year, school=school)

    data = content_of(exports.roster_export(school_ids=[school.pk], school_year=school_year))

    assert "Niccolò".encode() in data
    assert rows_of(exports.roster_export(school_ids=[school.pk], school_year=school_year))[1][3].startswith("'=")


def test_an_empty_roster_still_has_its_header(school, school_year):
    assert rows_of(exports.roster_export(school_ids=[school.pk], school_year=school_year)) == [exports.ROSTER_HEADER]


def test_exports_are_streamed_from_a_server_side_cursor(school, canteen, school_year, django_assert_num_queries):
    for _n in range(3):
        accepted(service=canteen, school_year=school_year, school=school)
    _filename, _content_type, chunks = exports.roster_export(school_ids=[school.pk], school_year=school_year)
    response = csv_response(exports.roster_export(school_ids=[school.pk], school_year=school_year))

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == 'attachment; filename="iscritti_2026-2027_RMEE00101X.csv"'
    assert response["Cache-Control"] == "no-store"
    with django_assert_num_queries(1):  # one query, however many rows: no lazy loading per row
        assert len(b"".join(chunks).splitlines()) == 4


# --- kitchen -------------------------------------------------------------------------------------


@pytest.fixture
def canteen_day(school, other_school, school_class, canteen, school_year):
    """School: 2 standard, 1 vegetarian accepted, 1 no pork still requested, 1 medical accepted; 1 submitted."""
    for _n in range(2):
        accepted(service=canteen, school_year=school_year, school=school, school_class=school_class)
    accepted(
        child=ChildFactory(first_name="Vera", last_name="Verdi"),
        service=canteen,
        school_year=school_year,
        school=school,
        school_class=school_class,
        diet=Diet.VEGETARIAN,
        diet_status=DietStatus.ACCEPTED,
    )
    accepted(
        child=ChildFactory(first_name="Pino", last_name="Porri"),
        service=canteen,
        school_year=school_year,
        school=school,
        diet=Diet.NO_PORK,
        diet_status=DietStatus.REQUESTED,
    )
    medical = accepted(
        child=ChildFactory(first_name="Marta", last_name="Medici"),
        service=canteen,
        school_year=school_year,
        school=school,
        school_class=school_class,
        diet=Diet.MEDICAL,
        diet_status=DietStatus.ACCEPTED,
    )
    MedicalDiet.objects.create(enrollment=medical, details="Allergia grave alle arachidi")
    enrollment_make(status=Status.SUBMITTED, service=canteen, school_year=school_year, school=school)
    accepted(service=canteen, school_year=school_year, school=other_school)
    return medical


def counts(rows, code: str) -> dict[str, str]:
    return {row[3]: row[4] for row in rows[1:] if row[1] == code and row[4] != ""}


def test_kitchen_counts_meals_by_accepted_diet_without_names(school, canteen_day):
    filename, _ct, _chunks = export = exports.kitchen_export(school_ids=[school.pk], day=DAY, include_names=False)
    rows = rows_of(export)

    assert filename == "mensa_2026-10-05_RMEE00101X.csv"
    assert rows[0] == exports.KITCHEN_HEADER
    assert counts(rows, "RMEE00101X") == {
        "standard": "3",  # two without a diet, one whose no-pork diet is still to be decided
        "senza maiale": "0",
        "senza carne": "0",
        "vegetariana": "1",
        "altro": "0",
        "dieta medica": "1",
        exports.KITCHEN_TOTAL: "5",
        exports.KITCHEN_PENDING: "1",
        exports.KITCHEN_LIGHT: "0",
        exports.KITCHEN_CANCELLED: "0",
    }
    assert all(row[5:8] == ["", "", ""] for row in rows[1:])
    assert not HealthDataAccess.objects.exists()


def test_kitchen_outside_the_school_year_counts_nothing(school, canteen_day):
    rows = rows_of(exports.kitchen_export(school_ids=[school.pk], day=datetime.date(2026, 8, 1), include_names=False))
    assert counts(rows, "RMEE00101X")[exports.KITCHEN_TOTAL] == "0"


def test_kitchen_names_need_the_health_permission(school, canteen_day):
    with pytest.raises(PermissionDenied):
        exports.kitchen_export(school_ids=[school.pk], day=DAY, include_names=True, user=UserFactory())
    with pytest.raises(PermissionDenied):
        exports.kitchen_export(school_ids=[school.pk], day=DAY, include_names=True)
    assert not HealthDataAccess.objects.exists()


def test_kitchen_names_list_special_diets_never_the_medical_details_and_are_recorded(school, canteen_day):
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_health_data"))
    user = type(user).objects.get(pk=user.pk)  # permissions are cached on the instance

    export = exports.kitchen_export(school_ids=[school.pk], day=DAY, include_names=True, user=user)
    data = content_of(export).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data, newline=""), delimiter=";"))
    named = [row[3:] for row in rows[1:] if row[6]]

    assert export[0] == "mensa_2026-10-05_RMEE00101X_nominativi.csv"
    assert named == [["dieta medica", "", "3A", "Medici", "Marta", ""], ["vegetariana", "", "3A", "Verdi", "Vera", ""]]
    assert "arachidi" not in data
    assert "Porri" not in data  # a diet still to be decided is not the kitchen's yet
    access = HealthDataAccess.objects.get()
    assert (access.user, access.action, access.enrollment) == (user, HealthDataAccess.Action.EXPORT, None)
    assert "05/10/2026" in access.detail


# --- transport -----------------------------------------------------------------------------------


def test_transport_lists_children_per_route_and_stop_in_stop_order(
    school, school_class, transport, school_year, route
):
    first, second = route.stops.order_by("order")
    late_stop = StopFactory(route=route, order=3, name="Scuola", outbound_time=datetime.time(7, 55))
    accepted(
        child=ChildFactory(first_name="Zeno", last_name="Alfa"),
        service=transport,
        school_year=school_year,
        school=school,
        school_class=school_class,
        route=route,
        stop=late_stop,
        direction=Enrollment.Direction.OUTBOUND,
    )
    accepted(
        child=ChildFactory(first_name="Ada", last_name="Zeta"),
        service=transport,
        school_year=school_year,
        school=school,
        route=route,
        stop=first,
        direction=Enrollment.Direction.BOTH,
        pickup_adults="Mario Zeta CI AB123\n\nNonna Zeta CI CD456\n",
    )
    enrollment_make(status=Status.WAITLISTED, service=transport, school_year=school_year, route=route, stop=second)

    filename, _ct, _chunks = export = exports.transport_export(route_ids=[route.pk], school_year=school_year)
    rows = rows_of(export)

    assert filename == "trasporto_2026-2027_Linea-1.csv"
    assert rows[0] == exports.TRANSPORT_HEADER
    assert [row[:3] + row[6:8] + row[11:] for row in rows[1:]] == [
        [
            "Linea 1",
            "1",
            "Piazza Roma",
            "Zeta",
            "Ada",
            "andata e ritorno",
            "Mario Zeta CI AB123 | Nonna Zeta CI CD456",
        ],
        ["Linea 1", "3", "Scuola", "Alfa", "Zeno", "solo andata", ""],
    ]
    assert rows[1][4] == "07:30"
    assert rows[2][9:11] == [school.name, "3A"]


# --- commands ------------------------------------------------------------------------------------


def test_export_roster_command_writes_the_file(tmp_path, school, canteen, school_year):
    accepted(service=canteen, school_year=school_year, school=school)
    target = tmp_path / "iscritti.csv"
    out = io.StringIO()

    call_command("export_roster", "--school", "rmee00101x", "--year", "2026/2027", "--output", str(target), stdout=out)

    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + ";".join(exports.ROSTER_HEADER).encode())
    assert len(data.splitlines()) == 2
    assert "Written" in out.getvalue()


def test_export_kitchen_command_counts_a_day(tmp_path, school, canteen_day):
    target = tmp_path / "mensa.csv"
    call_command(
        "export_kitchen", "--school", "RMEE00101X", "--date", "05/10/2026", "-o", str(target), stdout=io.StringIO()
    )
    rows = list(csv.reader(io.StringIO(target.read_text("utf-8-sig"), newline=""), delimiter=";"))
    assert counts(rows, "RMEE00101X")[exports.KITCHEN_TOTAL] == "5"


def test_export_kitchen_command_with_names_needs_a_user_allowed_to_see_health_data(tmp_path, school, canteen_day):
    with pytest.raises(CommandError, match="--user"):
        call_command("export_kitchen", "--with-names", "-o", str(tmp_path / "x.csv"))
    plain = UserFactory()
    with pytest.raises(CommandError, match="health data"):
        call_command("export_kitchen", "--with-names", "--user", plain.codice_fiscale, "-o", str(tmp_path / "x.csv"))
    assert not (tmp_path / "x.csv").exists()


def test_export_transport_command_by_route_name(tmp_path, school, transport, school_year, route):
    accepted(service=transport, school_year=school_year, school=school, route=route, stop=route.stops.first())
    target = tmp_path / "trasporto.csv"
    call_command(
        "export_transport", "--route", "linea 1", "--year", "2026/2027", "-o", str(target), stdout=io.StringIO()
    )
    assert len(target.read_bytes().splitlines()) == 2


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("export_roster", ["--school", "NOPE00000X"], "Unknown school"),
        ("export_roster", ["--year", "1999/2000"], "Unknown school year"),
        ("export_kitchen", ["--date", "31/02/2026"], "Not a date"),
        ("export_transport", ["--route", "Linea 99"], "No route"),
    ],
)
def test_export_commands_refuse_unknown_input(tmp_path, school, school_year, route, command, args, message):
    with pytest.raises(CommandError, match=message):
        call_command(command, *args, "-o", str(tmp_path / "out.csv"))


def test_day_parse_accepts_italian_and_iso_dates():
    assert exports.day_parse("05/10/2026") == DAY
    assert exports.day_parse("2026-10-05") == DAY
    assert exports.day_parse("5 ottobre") is None
    assert exports.day_parse("") is None


# --- the office's downloads ----------------------------------------------------------------------


@pytest.fixture
def office_client(client, office):
    return signed_in(client, office)


def test_exports_page_links_every_school_and_route(office_client, school, other_school, route, school_year):
    response = office_client.get(reverse("admin:enrollment_exports"))
    body = response.content.decode()
    assert response.status_code == 200
    assert f"scuola={school.pk}" in body
    assert f"scuola={other_school.pk}" in body
    assert f"linea={route.pk}" in body
    assert "solo le iscrizioni accolte" in body
    assert "nomi" not in body  # no health data permission: no names option


def test_office_downloads_rosters_and_transport_lists(office_client, school, canteen, transport, school_year, route):
    accepted(child=ChildFactory(last_name="Uno"), service=canteen, school_year=school_year, school=school)
    accepted(
        child=ChildFactory(last_name="Due"),
        service=transport,
        school_year=school_year,
        school=school,
        route=route,
        stop=route.stops.first(),
    )
    response = office_client.get(
        reverse("admin:enrollment_export_roster"), {"anno": school_year.pk, "scuola": school.pk}
    )
    assert response["Content-Disposition"] == 'attachment; filename="iscritti_2026-2027_RMEE00101X.csv"'
    assert b";Uno;" in b"".join(response.streaming_content)

    response = office_client.get(reverse("admin:enrollment_export_transport"), {"anno": school_year.pk})
    assert b";Due;" in b"".join(response.streaming_content)

    response = office_client.get(reverse("admin:enrollment_export_kitchen"), {"giorno": "ieri"}, follow=True)
    assert "Scrivi il giorno come gg/mm/aaaa" in response.content.decode()


def test_school_and_route_actions_download_the_files(client, school, canteen, school_year, route):
    signed_in(client, UserFactory(is_staff=True, is_superuser=True))
    accepted(child=ChildFactory(last_name="Azione"), service=canteen, school_year=school_year, school=school)
    response = client.post(
        reverse("admin:enrollment_school_changelist"),
        {"action": "export_roster_action", "_selected_action": [school.pk]},
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b";Azione;" in b"".join(response.streaming_content)

    response = client.post(
        reverse("admin:enrollment_route_changelist"),
        {"action": "export_transport_action", "_selected_action": [route.pk]},
    )
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbflinea;")


def test_office_without_enrollment_permission_cannot_download(client, school, school_year):
    signed_in(client, UserFactory(is_staff=True))
    assert client.get(reverse("admin:enrollment_export_roster"), {"anno": school_year.pk}).status_code == 403
