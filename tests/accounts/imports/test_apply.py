"""Importing families: what the import writes, and what a dry run counts."""

import datetime

from codicefiscale import codicefiscale
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.models import Child, FamilyEvent, Guardianship, ImportedAdult

from .conftest import (
    ANNA,
    GIULIA,
    HEADER,
    LUCA,
    MARIA_CF,
    MARIO,
    RODARI,
    ROWS,
    apply,
    make_csv,
)

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
