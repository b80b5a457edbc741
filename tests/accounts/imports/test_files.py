"""Importing families: the files' formats, and what validation refuses with its line."""

import csv
import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import services
from accounts.imports import families_import_validate, parse_date
from accounts.models import Child, FamilyEvent, ImportedAdult
from enrollment.models import School

from .conftest import (
    ANNA,
    GIULIA,
    HEADER,
    LUCA,
    MARIO,
    RODARI,
    ROWS,
    SOFIA,
    apply,
    make_csv,
    messages_at,
    validate,
)

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
