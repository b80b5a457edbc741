"""Importing the families the Comune already knows from its CSV: shared fixtures and helpers."""

import csv
import io

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from accounts.imports import families_import_apply, families_import_validate
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
