import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.validators import CodiceFiscalePasswordValidator, normalize_codice_fiscale, validate_codice_fiscale


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("RSSMRA85T10A562S", "RSSMRA85T10A562S"),
        ("rssmra85t10a562s", "RSSMRA85T10A562S"),
        (" RSSMRA85T10A562S ", "RSSMRA85T10A562S"),
        ("RSS MRA 85T10 A562S", "RSSMRA85T10A562S"),
        ("RSSMRA85T10A56NH", "RSSMRA85T10A56NH"),  # omocodia: a digit replaced by its letter
    ],
)
def test_valid_codes_are_normalised(value, expected):
    assert validate_codice_fiscale(value) == expected


@pytest.mark.parametrize(
    ("value", "code", "fragment"),
    [
        ("RSSMRA85T10A562X", "cf_checksum", "carattere di controllo non corrisponde"),
        ("RSSMRA85T10A562", "cf_length", "Lunghezza errata"),
        ("RSSMRA85T10A562SS", "cf_length", "Lunghezza errata"),
        ("RSSMRA85Z10A562S", "cf_format", "Formato non valido"),
        ("RSSMRA85T10Z999S", "cf_birthplace", "non esiste"),
        ("ÀSSMRA85T10A562S", "cf_format", "Formato non valido"),
        ("", "cf_length", "Lunghezza errata"),
    ],
)
def test_invalid_codes_say_what_is_wrong(value, code, fragment):
    with pytest.raises(ValidationError) as excinfo:
        validate_codice_fiscale(value)
    assert excinfo.value.code == code
    assert fragment in str(excinfo.value.messages[0])


def test_length_error_counts_characters():
    with pytest.raises(ValidationError) as excinfo:
        validate_codice_fiscale("A" * 15)
    assert "15" in excinfo.value.messages[0]


def test_normalise_removes_all_whitespace_and_uppercases():
    assert normalize_codice_fiscale(" rss\tmra85t10a562s\n") == "RSSMRA85T10A562S"


@pytest.mark.parametrize(
    "password",
    ["RSSMRA85C52H501N", "rssmra85c52h501n!", "x-RSSMRA85-y", "Rss Mra 85 estate", "mare-c52h501n", "SMRA85C5-2026"],
)
def test_passwords_with_the_codice_fiscale_or_a_part_of_it_are_refused(password):
    user = User(codice_fiscale="RSSMRA85C52H501N")
    with pytest.raises(ValidationError) as info:
        CodiceFiscalePasswordValidator().validate(password, user)
    assert info.value.code == "password_too_similar_to_codice_fiscale"


@pytest.mark.parametrize("password", ["Gatto-Rosso-2026!", "RSSMRA-mare-85", "Correct-Horse-2026"])
def test_passwords_without_a_recognisable_part_of_the_codice_fiscale_pass(password):
    CodiceFiscalePasswordValidator().validate(password, User(codice_fiscale="RSSMRA85C52H501N"))


def test_no_user_or_no_codice_fiscale_means_nothing_to_compare():
    CodiceFiscalePasswordValidator().validate("RSSMRA85C52H501N", None)
    CodiceFiscalePasswordValidator().validate("RSSMRA85C52H501N", User())
    assert "codice fiscale" in CodiceFiscalePasswordValidator().get_help_text()
