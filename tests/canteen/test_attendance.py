"""Attendance files: every bad row listed with its line number and an Italian message, nothing applied before the
confirm, only the valid rows applied, re-imports change nothing, corrections write reversals."""

import datetime
from decimal import Decimal

import pytest

from canteen import services
from canteen.errors import AttendanceFileError, CanteenError
from canteen.models import Attendance, AttendanceBatch, Closure
from payments.models import LedgerEntry

D = datetime.date
GIULIA = "RSSGLI18C52H501V"
LUCA = "BNCLCU18A01H501F"


def preview(text: str, school, encoding="utf-8"):
    return services.attendance_preview(
        content=text.encode(encoding), filename="presenze.csv", school=school, actor=None
    )


@pytest.fixture
def two_children(meal_enrollment, classmate_enrollment, now_at):
    now_at(2026, 12, 3, 15, 0, 0)
    return meal_enrollment, classmate_enrollment


@pytest.mark.django_db
def test_every_bad_row_is_listed_with_its_line(two_children, rodari, calendar, montessori, canteen_service, year):
    Closure.objects.create(calendar=calendar, starts_on=D(2026, 11, 30), ends_on=D(2026, 11, 30), kind="strike")
    text = "\n".join(
        [
            "codice_fiscale;data;presenza;tipo_pasto",
            f"{GIULIA};02/12/2026;presente;normale",  # 2: fine
            f"{LUCA};2026-12-02;assente;",  # 3: ISO date, fine
            "RSSMRA85C52H501X;02/12/2026;presente;",  # 4: check digit wrong
            "VRDLGU18A01H501F;02/12/2026;presente;",  # 5: nobody with this CF
            f"{GIULIA};08/12/2026;presente;",  # 6: future
            f"{GIULIA};29/11/2026;presente;",  # 7: Sunday
            f"{GIULIA};30/11/2026;presente;",  # 8: strike
            f"{GIULIA};31/02/2026;presente;",  # 9: not a day
            f"{GIULIA};02/12/2026;presente;",  # 10: repeated
            f"{GIULIA};01/12/2026;forse;",  # 11: presence unreadable
            f"{GIULIA};01/12/2026;P;arrosto",  # 12: meal type unknown
            ";01/12/2026;P;",  # 13: no CF
        ]
    )
    batch = preview(text, rodari)
    assert batch.status == AttendanceBatch.Status.PREVIEW
    assert [row["line"] for row in batch.rows] == [2, 3]
    problems = {error["line"]: error["message"] for error in batch.errors}
    assert problems == {
        4: "codice fiscale non valido: RSSMRA85C52H501X",
        5: "nessun bambino con codice fiscale VRDLGU18A01H501F",
        6: "il 08/12/2026 è nel futuro: si registrano solo i pasti già serviti",
        7: "il 29/11/2026 la mensa non è in servizio",
        8: "il 30/11/2026 la mensa non è in servizio",
        9: "data non valida: «31/02/2026» (scrivere gg/mm/aaaa oppure aaaa-mm-gg)",
        10: f"riga ripetuta: {GIULIA} del 02/12/2026 è già alla riga 2",
        11: "presenza non valida: «forse» (presente o assente)",
        12: "tipo di pasto non valido: «arrosto» (normale, dieta speciale o in bianco)",
        13: "manca il codice fiscale",
    }
    assert not Attendance.objects.exists()
    assert not LedgerEntry.objects.exists()
    services.attendance_apply(batch=batch, actor=None)
    assert Attendance.objects.count() == 2
    assert list(LedgerEntry.objects.values_list("amount", flat=True)) == [Decimal("-4.50")]


@pytest.mark.django_db
def test_a_child_of_another_school_is_refused_for_a_schools_file(two_children, montessori, montessori_calendar):
    batch = preview(f"{GIULIA};02/12/2026;presente\n", montessori)
    assert batch.errors == [
        {"line": 1, "cf": GIULIA, "message": f"{GIULIA} non è iscritto alla mensa di questa scuola"}
    ]


@pytest.mark.django_db
def test_no_header_comma_separated_windows_1252(two_children, rodari):
    batch = preview(f"{GIULIA},02/12/2026,sì,in bianco\n{LUCA},2/12/2026,no,\n", rodari, encoding="cp1252")
    assert batch.errors == []
    assert [(row["present"], row["meal_type"]) for row in batch.rows] == [(True, "light"), (False, "normal")]


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing_and_a_correction_reverses(two_children, rodari):
    text = f"{GIULIA};02/12/2026;presente\n{LUCA};02/12/2026;presente\n"
    services.attendance_apply(batch=preview(text, rodari), actor=None)
    services.attendance_apply(batch=preview(text, rodari), actor=None)
    assert sorted(LedgerEntry.objects.values_list("amount", flat=True)) == [Decimal("-4.50"), Decimal("-2.50")]
    services.attendance_apply(batch=preview(f"{LUCA};02/12/2026;assente\n", rodari), actor=None)
    reversal = LedgerEntry.objects.get(kind=LedgerEntry.Kind.ADJUSTMENT)
    assert reversal.amount == Decimal("2.50")
    assert Attendance.objects.get(enrollment=two_children[1]).present is False


@pytest.mark.django_db
def test_a_batch_is_applied_once(two_children, rodari):
    batch = preview(f"{GIULIA};02/12/2026;presente\n", rodari)
    services.attendance_apply(batch=batch, actor=None)
    with pytest.raises(CanteenError, match="già stato applicato"):
        services.attendance_apply(batch=batch, actor=None)
    with pytest.raises(CanteenError):
        services.attendance_discard(batch=batch)


@pytest.mark.django_db
def test_an_empty_or_huge_file_is_refused(two_children, rodari):
    with pytest.raises(AttendanceFileError, match="non contiene righe"):
        preview("\n\n", rodari)
    with pytest.raises(AttendanceFileError, match="troppo grande"):
        services.attendance_preview(content=b"x" * (5 * 1024 * 1024 + 1), filename="a.csv", school=rodari, actor=None)


@pytest.mark.django_db
def test_the_office_corrects_one_day_by_hand(two_children, clerk):
    giulia = two_children[0]
    services.attendance_correct(enrollment=giulia, day=D(2026, 12, 2), present=True, meal_type="diet", actor=clerk)
    entry = LedgerEntry.objects.get()
    assert entry.reason == "Pasto del 02/12/2026 (dieta speciale)"
    assert entry.created_by == clerk
    with pytest.raises(CanteenError, match="non è in servizio"):
        services.attendance_correct(
            enrollment=giulia, day=D(2026, 12, 8), present=True, meal_type="normal", actor=clerk
        )
    with pytest.raises(CanteenError, match="già passati"):
        services.attendance_correct(
            enrollment=giulia, day=D(2026, 12, 4), present=True, meal_type="normal", actor=clerk
        )
