"""Importing the families the Comune already knows from its CSV: parsing, validation, apply, admin, command."""

import csv
import datetime
import io
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from codicefiscale import codicefiscale
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import services
from accounts.admin.imports import SESSION_KEY
from accounts.imports import families_import_apply, families_import_validate, parse_date
from accounts.models import Child, FamilyEvent, Guardianship, ImportedAdult
from enrollment.models import School
from tests.conftest import make_user

HEADER = [
    "cf_genitore",
    "nome_genitore",
    "cognome_genitore",
    "email_genitore",
    "cf_figlio",
    "nome_figlio",
    "cognome_figlio",
    "data_nascita_figlio",
    "scuola",
    "classe",
]
MARIO = ["RSSMRA80E10H501E", "Mario", "Rossi", "mario.rossi@example.it"]
ANNA = ["BNCNNA83B60F205Z", "Anna", "Bianchi", ""]
LUCA = ["RSSLCU16C15H501P", "Luca", "Rossi", "15/03/2016"]
GIULIA = ["RSSGLI18L41H501O", "Giulia", "Rossi", "2018-07-01"]
SOFIA = ["BNCSFO17S62F205M", "Sofia", "Bianchi", "22/11/2017"]
RODARI = "RMEE00101X"
ROWS = [
    [*MARIO, *LUCA, RODARI, "3A"],
    [*MARIO, *GIULIA, "scuola dell'infanzia il girasole", ""],
    [*ANNA, *SOFIA, RODARI, "2B"],
]
MARIA_CF = "RSSMRA85C52H501N"  # the `parent` fixture of conftest: a registered user


def make_csv(rows, *, header=HEADER, delimiter=";", encoding="utf-8", bom=False, quoting=csv.QUOTE_MINIMAL) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def apply(data: bytes, actor=None, **kwargs):
    return families_import_apply(file=io.BytesIO(data), actor=actor, **kwargs)


def validate(data: bytes):
    return families_import_validate(file=io.BytesIO(data))


def messages_at(report, line):
    return [message for error_line, message in report.errors if error_line == line]


@pytest.fixture
def schools(db):
    return [
        School.objects.create(name="Scuola primaria Gianni Rodari", kind="primaria", ministry_code=RODARI),
        School.objects.create(name="Scuola dell'infanzia Il Girasole", kind="infanzia", ministry_code="RMAA00202Y"),
        School.objects.create(name="Scuola primaria Mosè Bianchi", kind="primaria", ministry_code="RMEE00303Z"),
    ]


@pytest.fixture
def staff(db):
    user = make_user(codice_fiscale="VRDGLI79P61A944R", email="ufficio@example.it", is_staff=True, is_superuser=True)
    TOTP.activate(user, generate_totp_secret())
    return user


# --- apply: what is written -------------------------------------------------------------------


def test_import_creates_adults_and_children_and_logs_each_new_child(schools, staff):
    report = apply(make_csv(ROWS), actor=staff)

    assert report.applied
    assert not report.has_errors
    assert (report.rows_read, report.adults_created, report.children_created) == (3, 2, 3)
    assert (report.adults_updated, report.children_updated, report.rows_unchanged) == (0, 0, 0)
    mario = ImportedAdult.objects.get(codice_fiscale=MARIO[0])
    assert (mario.first_name, mario.last_name, mario.email) == ("Mario", "Rossi", "mario.rossi@example.it")
    assert mario.claimed_by is None
    luca = Child.objects.get(codice_fiscale=LUCA[0])
    assert (luca.birth_date, luca.sex, luca.school, luca.class_name) == (
        datetime.date(2016, 3, 15),
        "M",
        schools[0],
        "3A",
    )
    assert luca.imported_from == mario
    giulia = Child.objects.get(codice_fiscale=GIULIA[0])
    assert (giulia.sex, giulia.school, giulia.birth_date) == ("F", schools[1], datetime.date(2018, 7, 1))
    events = FamilyEvent.objects.filter(action=FamilyEvent.Action.CHILD_IMPORTED)
    assert events.count() == 3
    assert {event.actor for event in events} == {staff}
    assert not Guardianship.objects.exists()  # nobody has claimed these families yet


def test_reimporting_the_same_file_changes_nothing(schools, staff):
    apply(make_csv(ROWS), actor=staff)
    before = (ImportedAdult.objects.count(), Child.objects.count(), FamilyEvent.objects.count())

    report = apply(make_csv(ROWS), actor=staff)

    assert report.applied
    assert report.changes == 0
    assert (report.adults_created, report.adults_updated, report.children_created, report.children_updated) == (
        0,
        0,
        0,
        0,
    )
    assert (report.adults_unchanged, report.children_unchanged, report.rows_unchanged) == (2, 3, 3)
    assert (ImportedAdult.objects.count(), Child.objects.count(), FamilyEvent.objects.count()) == before


def test_a_corrected_file_updates_names_email_school_and_class(schools):
    apply(make_csv(ROWS))
    corrected = [
        ["RSSMRA80E10H501E", "Mario Luigi", "Rossi", "ml.rossi@example.it", *LUCA, "RMEE00303Z", "4A"],
        [MARIO[0], "Mario Luigi", "Rossi", "ml.rossi@example.it", *GIULIA, RODARI, "1C"],
        ROWS[2],
    ]

    report = apply(make_csv(corrected))

    assert (report.adults_created, report.adults_updated, report.adults_unchanged) == (0, 1, 1)
    assert (report.children_created, report.children_updated, report.children_unchanged) == (0, 2, 1)
    assert report.rows_unchanged == 1
    mario = ImportedAdult.objects.get(codice_fiscale=MARIO[0])
    assert (mario.first_name, mario.email) == ("Mario Luigi", "ml.rossi@example.it")
    luca = Child.objects.get(codice_fiscale=LUCA[0])
    assert (luca.school, luca.class_name) == (schools[2], "4A")
    assert Child.objects.get(codice_fiscale=GIULIA[0]).school == schools[0]
    assert FamilyEvent.objects.count() == 3  # updates are not new children


def test_a_child_moves_to_the_adult_of_a_corrected_file(schools):
    apply(make_csv(ROWS))
    report = apply(make_csv([[*ANNA, *LUCA, RODARI, "3A"]]))
    assert report.children_updated == 1
    assert Child.objects.get(codice_fiscale=LUCA[0]).imported_from.codice_fiscale == ANNA[0]


def test_an_empty_email_keeps_the_one_the_portal_knows(schools):
    apply(make_csv(ROWS))
    report = apply(make_csv([[*MARIO[:3], "", *LUCA, RODARI, "3A"]]))
    assert report.changes == 0
    assert ImportedAdult.objects.get(codice_fiscale=MARIO[0]).email == MARIO[3]


def test_the_class_column_is_optional(schools):
    header = [column for column in HEADER if column != "classe"]
    report = apply(make_csv([row[:-1] for row in ROWS], header=header))
    assert report.children_created == 3
    assert Child.objects.get(codice_fiscale=LUCA[0]).class_name == ""


def test_a_new_child_of_a_claimed_family_gets_its_adult_of_reference(schools, staff, parent):
    adult = ImportedAdult.objects.create(
        codice_fiscale=MARIA_CF, first_name="Maria", last_name="Rossi", claimed_by=parent
    )
    row = [MARIA_CF, "Maria", "Rossi", "", *LUCA, RODARI, "3A"]

    report = apply(make_csv([row]), actor=staff)

    child = Child.objects.get(codice_fiscale=LUCA[0])
    assert child.imported_from == adult
    guardianship = Guardianship.objects.get(child=child)
    assert (guardianship.adult, guardianship.role, guardianship.granted_by) == (parent, "reference", staff)
    assert report.references_granted == 1
    event = FamilyEvent.objects.get(child=child)
    assert (event.action, event.actor, event.subject) == (FamilyEvent.Action.CHILD_IMPORTED, staff, parent)
    assert apply(make_csv([row]), actor=staff).changes == 0
    assert Guardianship.objects.count() == 1


def test_a_child_already_linked_to_the_same_adult_is_accepted(schools, parent):
    services.child_add(
        adult=parent,
        codice_fiscale=LUCA[0],
        first_name="Luca",
        last_name="Rossi",
        birth_date=datetime.date(2016, 3, 15),
        sex="M",
    )
    report = apply(make_csv([[MARIA_CF, "Maria", "Rossi", "", *LUCA, RODARI, "3A"]]))
    assert report.applied
    assert Child.objects.get(codice_fiscale=LUCA[0]).school == schools[0]
    assert Guardianship.objects.get().adult == parent


def test_dry_run_counts_but_writes_nothing(schools):
    report = apply(make_csv(ROWS), dry_run=True)
    assert (report.adults_created, report.children_created) == (2, 3)
    assert not report.applied
    assert not ImportedAdult.objects.exists()
    assert not Child.objects.exists()


def generated_rows(count: int, *, offset: int = 0) -> list[list[str]]:
    """Rows of `count` distinct families with valid CFs (one child each)."""
    rows = []
    for n in range(offset, offset + count):
        born = datetime.date(2012, 1, 1) + datetime.timedelta(days=n)
        parent_born = f"{born.replace(year=1980):%d/%m/%Y}"
        parent_cf = codicefiscale.encode(
            lastname="Gialli", firstname="Marco", gender="M", birthdate=parent_born, birthplace="A944"
        )
        child_cf = codicefiscale.encode(
            lastname="Gialli", firstname="Anna", gender="F", birthdate=f"{born:%d/%m/%Y}", birthplace="A944"
        )
        rows.append([parent_cf, "Marco", "Gialli", "", child_cf, "Anna", "Gialli", f"{born:%d/%m/%Y}", RODARI, "1A"])
    return rows


def test_the_number_of_queries_does_not_grow_with_the_rows(schools):
    with CaptureQueriesContext(connection) as few:
        assert apply(make_csv(generated_rows(5))).children_created == 5
    with CaptureQueriesContext(connection) as many:
        assert apply(make_csv(generated_rows(60, offset=100))).children_created == 60
    assert len(many) == len(few)


# --- file formats -----------------------------------------------------------------------------


def test_windows_1252_with_accents_and_a_school_found_by_name(schools):
    rows = [
        [
            *MARIO[:3],
            "",
            "RSSLCU16C15H501P",
            "Luca Niccolò",
            "Rossi",
            "15/03/2016",
            "Scuola primaria Mosè Bianchi",
            "1A",
        ]
    ]
    data = make_csv(rows, encoding="cp1252")
    assert "è".encode("cp1252") in data

    report = apply(data)

    assert report.encoding == "cp1252"
    child = Child.objects.get()
    assert (child.first_name, child.school) == ("Luca Niccolò", schools[2])


def test_utf8_with_bom_and_commas(schools):
    data = make_csv(ROWS, delimiter=",", bom=True)
    report = apply(data)
    assert (report.encoding, report.delimiter, report.children_created) == ("utf-8-sig", ",", 3)


def test_headers_ignore_case_spacing_and_take_the_aliases(schools):
    header = [
        " Codice Fiscale Genitore ",
        "NOME_GENITORE",
        "cognome genitore",
        "Email_Genitore",
        "CODICE_FISCALE_FIGLIO",
        "Nome figlio",
        "cognome_figlio",
        "Data nascita figlio",
        "SCUOLA",
        "Classe",
    ]
    report = apply(make_csv(ROWS, header=header))
    assert report.children_created == 3


def test_quoted_fields_with_separators_quotes_and_newlines(schools):
    School.objects.create(name='Scuola "Don Milani"; plesso A', kind="primaria", ministry_code="RMEE00404A")
    header = [*HEADER, "note"]
    rows = [
        [*MARIO, *LUCA, 'Scuola "Don Milani"; plesso A', "3A", "una nota\nsu due righe"],
        [*ANNA, *SOFIA, RODARI, "2B", ""],
    ]
    data = make_csv(rows, header=header, quoting=csv.QUOTE_ALL)

    report = apply(data)

    assert report.applied
    assert Child.objects.get(codice_fiscale=LUCA[0]).school.ministry_code == "RMEE00404A"
    assert report.warnings  # the note column is ignored, and said so


def test_line_numbers_are_physical_lines_after_multiline_cells_and_blank_lines(schools):
    header = [*HEADER, "note"]
    rows = [
        [*MARIO, *LUCA, RODARI, "3A", "prima\nseconda\nterza"],  # lines 2-4
        [*ANNA, "RSSGLI18L41H501X", "Giulia", "Rossi", "01/07/2018", RODARI, "", ""],  # line 5
    ]
    data = make_csv(rows, header=header) + b"\r\n;;;;;;;;;;\r\n"  # Excel's empty rows: ignored
    data += make_csv([[*ANNA, *SOFIA, "nessuna", "", ""]], header=header).split(b"\r\n", 1)[1]  # line 8

    report = validate(data)

    assert [line for line, _message in report.errors] == [5, 8]
    assert report.rows_read == 3


def test_iso_and_day_month_year_dates():
    assert parse_date("2018-07-01") == datetime.date(2018, 7, 1)
    assert parse_date("01/07/2018") == datetime.date(2018, 7, 1)
    assert parse_date("1/7/2018") == datetime.date(2018, 7, 1)
    assert parse_date("31/02/2018") is None
    assert parse_date("2018/07/01") is None
    assert parse_date("01-07-18") is None


# --- validation: what is refused, with its line -----------------------------------------------


def test_a_bad_cf_is_reported_with_the_line_and_the_reason(schools):
    rows = [ROWS[0], [*MARIO, "RSSGLI18L41H501X", "Giulia", "Rossi", "01/07/2018", RODARI, ""], ROWS[2]]
    report = validate(make_csv(rows))
    assert report.error_count == 1
    [message] = messages_at(report, 3)
    assert "RSSGLI18L41H501X" in message
    assert "carattere di controllo" in message


def test_a_bad_parent_cf_is_reported(schools):
    report = validate(make_csv([["RSSMRA80E10", "Mario", "Rossi", "", *LUCA, RODARI, ""]]))
    [message] = messages_at(report, 2)
    assert "genitore" in message
    assert "Lunghezza errata" in message


def test_a_birth_date_that_disagrees_with_the_cf(schools):
    report = validate(make_csv([[*MARIO, "RSSLCU16C15H501P", "Luca", "Rossi", "16/03/2016", RODARI, ""]]))
    [message] = messages_at(report, 2)
    assert "non corrisponde" in message


def test_names_are_not_checked_against_the_cf(schools):
    # The office's records have typos: only the birth date must agree with the child's CF.
    report = apply(make_csv([[*MARIO[:3], "", "RSSLCU16C15H501P", "Lucca", "Rosi", "15/03/2016", RODARI, ""]]))
    assert report.applied


def test_an_unreadable_date(schools):
    report = validate(make_csv([[*MARIO, "RSSLCU16C15H501P", "Luca", "Rossi", "15 marzo 2016", RODARI, ""]]))
    [message] = messages_at(report, 2)
    assert "gg/mm/aaaa" in message


def test_empty_mandatory_cells_name_their_column(schools):
    report = validate(make_csv([["RSSMRA80E10H501E", "", "Rossi", "", *LUCA, "", ""]]))
    messages = messages_at(report, 2)
    assert len(messages) == 2
    assert any("nome_genitore" in message for message in messages)
    assert any("scuola" in message for message in messages)


def test_an_unknown_school(schools):
    report = validate(make_csv([[*MARIO, *LUCA, "Scuola che non c'è", ""]]))
    [message] = messages_at(report, 2)
    assert "sconosciuta" in message


def test_an_invalid_email(schools):
    report = validate(make_csv([[*MARIO[:3], "mario@", *LUCA, RODARI, ""]]))
    assert "e-mail del genitore" in messages_at(report, 2)[0].lower()


def test_the_same_child_twice_with_different_data(schools):
    rows = [ROWS[0], [*MARIO, "RSSLCU16C15H501P", "Luca", "Rossi", "15/03/2016", RODARI, "4A"]]
    report = validate(make_csv(rows))
    [message] = messages_at(report, 3)
    assert "riga 2" in message


def test_the_same_child_twice_with_the_same_data_is_imported_once(schools):
    report = apply(make_csv([ROWS[0], ROWS[0]]))
    assert (report.children_created, report.rows_unchanged) == (1, 1)


def test_the_same_parent_with_different_names(schools):
    rows = [ROWS[0], ["RSSMRA80E10H501E", "Marco", "Rossi", MARIO[3], *GIULIA, RODARI, ""]]
    report = validate(make_csv(rows))
    assert "riga 2" in messages_at(report, 3)[0]


def test_a_child_linked_in_the_portal_to_another_adult(schools, parent):
    services.child_add(
        adult=parent,
        codice_fiscale=LUCA[0],
        first_name="Luca",
        last_name="Rossi",
        birth_date=datetime.date(2016, 3, 15),
        sex="M",
    )
    report = validate(make_csv(ROWS))
    [message] = messages_at(report, 2)
    assert "già collegato" in message
    assert "amministrazione" in message


def test_a_wrong_separator_is_one_clear_file_error(schools):
    report = validate(make_csv(ROWS, delimiter="\t"))
    assert report.error_count == 1
    [(line, message)] = report.errors
    assert line == 1
    assert "Intestazione non riconosciuta" in message
    assert "cf_genitore" in message
    assert "data_nascita_figlio" in message


def test_a_missing_column_is_named(schools):
    header = [column for column in HEADER if column != "data_nascita_figlio"]
    report = validate(make_csv([[cell for i, cell in enumerate(ROWS[0]) if i != 7]], header=header))
    [(line, message)] = report.errors
    assert line == 1
    assert "data_nascita_figlio" in message


def test_a_row_with_more_cells_than_the_header(schools):
    report = validate(make_csv([[*ROWS[0], "in più"]]))
    assert "campi" in messages_at(report, 2)[0]


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b"\xef\xbb\xbf"])
def test_an_empty_file(schools, data):
    report = validate(data)
    assert [message for _line, message in report.errors] == ["Il file è vuoto."]


def test_a_file_with_only_the_header(schools):
    report = validate(make_csv([]))
    assert report.error_count == 1
    assert "intestazione" in report.errors[0][1]


def test_one_bad_row_and_nothing_is_written(schools):
    rows = [*ROWS, [*MARIO, "RSSLCU16C15H501P", "Luca", "Rossi", "99/99/2016", RODARI, ""]]
    report = apply(make_csv(rows))
    assert report.has_errors
    assert not report.applied
    assert (ImportedAdult.objects.count(), Child.objects.count(), FamilyEvent.objects.count()) == (0, 0, 0)


def test_a_line_too_long_stops_the_reading_at_its_line(schools):
    report = validate(make_csv(ROWS) + b"x" * 70_000 + b"\r\n" + make_csv(ROWS))
    [message] = messages_at(report, 5)
    assert "troppo lunga" in message
    assert report.error_count == 1


def test_an_unclosed_quote_that_swallows_the_rest_of_the_file(schools):
    report = validate(make_csv(ROWS) + b'"' + (b"a" * 1000 + b"\r\n") * 200)
    [message] = messages_at(report, 5)
    assert "virgolette" in message


def test_bytes_that_are_neither_utf8_nor_windows_1252_do_not_break_the_reading(schools):
    data = make_csv(ROWS, encoding="cp1252").replace(b"Mario", b"Ma\x81rio")
    report = validate(data)
    assert report.encoding == "cp1252"
    assert len(messages_at(report, 2)) == 1


def test_the_validator_reads_a_file_from_a_path(schools, tmp_path):
    path = tmp_path / "famiglie.csv"
    path.write_bytes(make_csv(ROWS))
    report = families_import_validate(file=path)
    assert (report.rows_read, report.parents, report.children, report.children_new) == (3, 2, 3, 3)


CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["RSSLCU16C15H501P", "RSSMRA80E10H501E", "15/03/2016", "2016-02-30", RODARI, '"', ";", "\r\n"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.lists(CELL, max_size=12), max_size=6),
    tail=st.binary(max_size=200),
    delimiter=st.sampled_from([";", ","]),
)
def test_arbitrary_rows_are_reported_never_raised(schools, rows, tail, delimiter):
    data = delimiter.join(HEADER).encode() + b"\r\n"
    data += "\r\n".join(delimiter.join(row) for row in rows).encode("utf-8", "surrogatepass") + tail
    report = validate(data)
    assert report.error_count >= len(report.errors)
    lines = data.count(b"\n") + data.count(b"\r") + 1
    assert all(line is None or 1 <= line <= lines for line, _message in report.errors)
    assert all(message and message.isprintable() for _line, message in report.errors)


# --- the admin: upload, preview, confirm ------------------------------------------------------


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


IMPORT_URL = "admin:accounts_importedadult_import"


def upload(client, data: bytes, name="famiglie.csv"):
    return client.post(reverse(IMPORT_URL), {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def uploads(settings) -> list[Path]:
    return sorted((Path(settings.MEDIA_ROOT) / "imports").glob("*"))


def test_the_changelist_has_the_import_button(staff_client, schools):
    body = staff_client.get(reverse("admin:accounts_importedadult_changelist")).content.decode()
    assert "Importa famiglie" in body
    assert reverse(IMPORT_URL) in body
    assert staff_client.get(reverse(IMPORT_URL)).status_code == 200


def test_upload_preview_then_confirm_imports_the_same_file(staff_client, staff, schools, settings):
    response = upload(staff_client, make_csv(ROWS))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Conferma importazione" in body
    token = response.context["token"]
    assert [path.name for path in uploads(settings)] == [f"{token}.csv"]
    assert not ImportedAdult.objects.exists()  # the preview writes nothing

    response = staff_client.post(reverse(IMPORT_URL), {"token": token, "confirm": "1"})

    assert response.status_code == 302
    assert response.url == reverse("admin:accounts_importedadult_changelist")
    assert Child.objects.count() == 3
    assert set(FamilyEvent.objects.values_list("actor", flat=True)) == {staff.pk}
    assert uploads(settings) == []
    body = staff_client.get(response.url).content.decode()
    assert "Importazione completata" in body
    # The same token again: the file is gone, nothing happens twice.
    response = staff_client.post(reverse(IMPORT_URL), {"token": token})
    assert response.status_code == 302
    assert Child.objects.count() == 3


def test_a_file_with_errors_shows_them_and_cannot_be_confirmed(staff_client, schools, settings):
    rows = [ROWS[0], [*MARIO, "RSSGLI18L41H501X", "Giulia", "Rossi", "01/07/2018", RODARI, ""]]
    response = upload(staff_client, make_csv(rows))
    body = response.content.decode()
    assert "Conferma importazione" not in body
    assert "RSSGLI18L41H501X" in body
    assert response.context["errors"][0][0] == 3
    assert uploads(settings) == []


def test_a_confirmation_after_the_portal_changed_shows_the_new_errors(staff_client, schools):
    token = upload(staff_client, make_csv(ROWS)).context["token"]
    services.child_add(  # meanwhile a parent adds the child in the portal
        adult=make_user(codice_fiscale=MARIA_CF, email="maria@example.it"),
        codice_fiscale=LUCA[0],
        first_name="Luca",
        last_name="Rossi",
        birth_date=datetime.date(2016, 3, 15),
        sex="M",
    )
    response = staff_client.post(reverse(IMPORT_URL), {"token": token, "confirm": "1"})
    assert response.status_code == 200
    assert "già collegato" in response.content.decode()
    assert "Conferma importazione" not in response.content.decode()
    assert not ImportedAdult.objects.exists()


def test_the_preview_lists_at_most_200_errors_with_the_total(staff_client, schools):
    rows = [[*MARIO, "RSSLCU16C15H501P", "Luca", "Rossi", "15/03/2016", "ignota", ""]] * 250
    response = upload(staff_client, make_csv(rows))
    assert len(response.context["errors"]) == 200
    assert response.context["report"].error_count == 250
    assert "200 errori su 250" in response.content.decode()


def test_cancel_deletes_the_upload(staff_client, schools, settings):
    token = upload(staff_client, make_csv(ROWS)).context["token"]
    response = staff_client.post(reverse(IMPORT_URL), {"token": token, "cancel": "1"})
    assert response.status_code == 302
    assert uploads(settings) == []
    assert not Child.objects.exists()


@pytest.mark.parametrize("token", ["../../etc/passwd", "0" * 32, "", "ABC"])
def test_a_token_never_becomes_a_client_chosen_path(staff_client, schools, token):
    response = staff_client.post(reverse(IMPORT_URL), {"token": token})
    assert response.status_code == 302
    assert response.url == reverse(IMPORT_URL)
    assert not Child.objects.exists()


def test_a_token_of_another_session_is_refused(client, staff_client, schools, settings):
    token = upload(staff_client, make_csv(ROWS)).context["token"]
    other = make_user(codice_fiscale="BNCLCU82L04F205H", email="altro@example.it", is_staff=True, is_superuser=True)
    TOTP.activate(other, generate_totp_secret())
    client.force_login(other)  # same test client: a new session
    assert token not in client.session.get(SESSION_KEY, [])
    response = client.post(reverse(IMPORT_URL), {"token": token})
    assert response.status_code == 302
    assert not Child.objects.exists()


def test_the_import_needs_the_add_permission(client, schools):
    clerk = make_user(codice_fiscale="BNCLCU82L04F205H", email="sportello@example.it", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_importedadult"))
    TOTP.activate(clerk, generate_totp_secret())
    client.force_login(clerk)
    assert client.get(reverse("admin:accounts_importedadult_changelist")).status_code == 200
    assert "Importa famiglie" not in client.get(reverse("admin:accounts_importedadult_changelist")).content.decode()
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    assert upload(client, make_csv(ROWS)).status_code == 403


def test_the_admin_lists_searches_and_shows_the_children(staff_client, schools):
    apply(make_csv(ROWS))
    changelist = reverse("admin:accounts_importedadult_changelist")
    body = staff_client.get(changelist, {"q": "bncnna83"}).content.decode()
    assert "BNCNNA83B60F205Z" in body
    assert "RSSMRA80E10H501E" not in body
    mario = ImportedAdult.objects.get(codice_fiscale=MARIO[0])
    body = staff_client.get(reverse("admin:accounts_importedadult_change", args=[mario.pk])).content.decode()
    assert "RSSLCU16C15H501P" in body
    assert "RSSGLI18L41H501O" in body


# --- the management command -------------------------------------------------------------------


def test_the_command_imports_and_prints_the_counts(schools, tmp_path):
    path = tmp_path / "famiglie.csv"
    path.write_bytes(make_csv(ROWS))
    out = io.StringIO()
    call_command("import_families", str(path), stdout=out)
    assert "Bambini: 3 creati" in out.getvalue()
    assert Child.objects.count() == 3
    assert FamilyEvent.objects.filter(actor__isnull=True).count() == 3


def test_the_command_prints_errors_with_lines_and_fails(schools, tmp_path):
    path = tmp_path / "famiglie.csv"
    path.write_bytes(make_csv([ROWS[0], [*MARIO, *LUCA, "ignota", ""]]))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_families", str(path), stdout=out)
    assert "Riga 3:" in out.getvalue()
    assert not Child.objects.exists()


def test_the_command_dry_run_writes_nothing(schools, tmp_path):
    path = tmp_path / "famiglie.csv"
    path.write_bytes(make_csv(ROWS))
    out = io.StringIO()
    call_command("import_families", str(path), "--dry-run", stdout=out)
    assert "Bambini: 3 creati" in out.getvalue()
    assert not Child.objects.exists()
