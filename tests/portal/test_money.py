"""`parse_euro`: amounts typed the Italian way, the plain English way, and what is refused because it is ambiguous."""

from decimal import Decimal

import pytest

from portal.money import AmountFormatError, parse_euro


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12,50", "12.50"),
        ("12.50", "12.50"),
        ("0.5", "0.5"),
        ("0.50", "0.50"),
        ("0,500", None),  # three decimals: refused below
        ("1.000", "1000"),
        ("12.345,67", "12345.67"),
        ("10.500", "10500"),
        (" 0,50 € ", "0.50"),
    ],
)
def test_amounts_people_type(typed, expected):
    if expected is None:
        with pytest.raises(AmountFormatError, match="due cifre"):
            parse_euro(typed)
    else:
        assert parse_euro(typed) == Decimal(expected)


@pytest.mark.parametrize("typed", ["0.500", "0.050", "0.005", "00.500", "0.500,00", "0.500.000"])
def test_a_thousands_dot_after_zero_is_refused_with_a_hint_to_use_the_comma(typed):
    with pytest.raises(AmountFormatError, match="usa la virgola"):
        parse_euro(typed)


def test_english_thousands_are_refused():
    with pytest.raises(AmountFormatError, match="all'italiana"):
        parse_euro("12,345.67")
