"""The pure tariff function, its explanation and the band checks (no database)."""

import json
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from enrollment.tariffs import Band, Plan, TariffError, bands_validate, tariff_compute, tariff_explain

D = Decimal


def canteen(**fields) -> Plan:
    """[0, 7.500) 2,50 · [7.500, 15.000) 3,50 · [15.000, ∞) 4,50 a pasto; siblings 20% and 30%."""
    values = {
        "unit": "meal",
        "bands": [
            Band(D("0"), D("7500"), D("2.50")),
            Band(D("7500"), D("15000"), D("3.50")),
            Band(D("15000"), None, D("4.50")),
        ],
        "sibling_second_percent": 20,
        "sibling_third_percent": 30,
    }
    values.update(fields)
    return Plan(**values)


def compute(plan=None, *, isee="5000", resident=True, rank=1, exemption=0):
    return tariff_compute(
        plan=plan or canteen(),
        isee=None if isee is None else D(isee),
        resident=resident,
        sibling_rank=rank,
        exemption_percent=exemption,
    )


@pytest.mark.parametrize(
    ("isee", "amount"),
    [
        ("0", "2.50"),  # exactly at the first lower bound
        ("7499.99", "2.50"),  # just below the upper bound
        ("7500", "3.50"),  # at the upper bound: the next band
        ("7500.01", "3.50"),
        ("14999.99", "3.50"),
        ("15000", "4.50"),
        ("999999.99", "4.50"),  # the top band is open-ended
        ("1000000", "4.50"),
    ],
)
def test_band_edges(isee, amount):
    assert compute(isee=isee).amount == D(amount)


def test_band_step_is_json_and_names_the_band():
    tariff = compute(isee="7500")
    assert json.loads(json.dumps(tariff.steps)) == tariff.steps
    assert tariff.steps[0] == {"code": "band", "isee_from": "7500.00", "isee_to": "15000.00", "amount": "3.50"}
    assert tariff.steps[-1] == {"code": "total", "amount": "3.50"}
    assert tariff.unit == "meal"


def test_no_isee_takes_the_top_band_when_no_tariff_is_set():
    tariff = compute(isee=None)
    assert tariff.amount == D("4.50")
    assert tariff.steps[0]["code"] == "no_isee_top_band"


def test_no_isee_takes_the_no_isee_tariff_when_set():
    tariff = compute(canteen(no_isee_amount=D("5.20")), isee=None)
    assert tariff.amount == D("5.20")
    assert tariff.steps[0] == {"code": "no_isee", "amount": "5.20"}


def test_non_resident_tariff_when_set_whatever_the_isee():
    assert compute(canteen(non_resident_amount=D("6.00")), isee="100", resident=False).amount == D("6.00")
    assert compute(canteen(non_resident_amount=D("6.00")), isee=None, resident=False).amount == D("6.00")


def test_non_resident_without_own_tariff_pays_as_residents():
    assert compute(isee="100", resident=False).amount == D("2.50")


@pytest.mark.parametrize(("rank", "amount"), [(1, "2.50"), (2, "2.00"), (3, "1.75"), (5, "1.75")])
def test_sibling_reductions(rank, amount):
    tariff = compute(isee="100", rank=rank)
    assert tariff.amount == D(amount)
    codes = [step["code"] for step in tariff.steps]
    assert ("sibling" in codes) == (rank > 1)


def test_sibling_step_says_rank_percent_and_reduction():
    step = compute(isee="100", rank=3).steps[1]
    assert step == {"code": "sibling", "rank": 3, "percent": 30, "amount": "0.75"}


def test_no_sibling_step_when_the_plan_has_no_reduction():
    tariff = compute(canteen(sibling_second_percent=0), isee="100", rank=2)
    assert tariff.amount == D("2.50")
    assert [step["code"] for step in tariff.steps] == ["band", "total"]


@pytest.mark.parametrize(("exemption", "amount"), [(0, "4.50"), (50, "2.25"), (100, "0.00")])
def test_exemptions(exemption, amount):
    assert compute(isee="20000", exemption=exemption).amount == D(amount)


def test_exemption_after_sibling_reduction():
    # 3,50 - 20% = 2,80; - 50% = 1,40
    assert compute(isee="8000", rank=2, exemption=50).amount == D("1.40")


def test_rounding_half_up_after_every_percentage():
    plan = Plan(unit="month", bands=[Band(D("0"), None, D("3.33"))], sibling_second_percent=15)
    # 3,33 * 15% = 0,4995 → 0,50; 3,33 - 0,50 = 2,83; * 33% = 0,9339 → 0,93; 2,83 - 0,93 = 1,90
    tariff = tariff_compute(plan=plan, isee=D("1"), resident=True, sibling_rank=2, exemption_percent=33)
    assert tariff.steps[1]["amount"] == "0.50"
    assert tariff.steps[2]["amount"] == "0.93"
    assert tariff.amount == D("1.90")


def test_amounts_have_two_decimals():
    plan = Plan(unit="year", bands=[Band(D("0"), None, D("100"))])
    assert str(tariff_compute(plan=plan, isee=D("0"), resident=True).amount) == "100.00"


def test_zero_band_never_goes_negative():
    plan = Plan(unit="meal", bands=[Band(D("0"), None, D("0"))], sibling_second_percent=100)
    tariff = tariff_compute(plan=plan, isee=D("0"), resident=True, sibling_rank=2, exemption_percent=50)
    assert tariff.amount == D("0.00")


@pytest.mark.parametrize(
    "kwargs",
    [{"sibling_rank": 0}, {"exemption_percent": 101}, {"exemption_percent": -1}, {"isee": D("-1")}],
)
def test_invalid_inputs_are_refused(kwargs):
    values = {"plan": canteen(), "isee": D("10"), "resident": True, "sibling_rank": 1, "exemption_percent": 0}
    values.update(kwargs)
    with pytest.raises(ValueError, match=r"."):
        tariff_compute(**values)


def test_plan_without_bands_cannot_price():
    with pytest.raises(TariffError):
        tariff_compute(plan=Plan(unit="meal"), isee=None, resident=True)
    with pytest.raises(TariffError):
        tariff_compute(plan=Plan(unit="meal", bands=[Band(D("0"), D("10"), D("1"))]), isee=D("50"), resident=True)


# --- explanation -----------------------------------------------------------------------------------------------


def test_explanation_in_italian():
    with translation.override("it"):
        lines = compute(isee="100", rank=2).explain()
    assert lines == [
        "Fascia ISEE da 0,00 € a 7.500,00 € (escluso): 2,50 € a pasto",
        "Secondo figlio iscritto: riduzione del 20% (−0,50 €)",  # noqa: RUF001
        "Tariffa: 2,00 € a pasto",
    ]


def test_explanation_of_every_step():
    steps = [
        {"code": "isee_expired", "expires_on": "2026-01-15"},
        {"code": "no_isee_top_band", "isee_from": "15000.00", "isee_to": None, "amount": "4.50"},
        {"code": "sibling", "rank": 3, "percent": 30, "amount": "1.35"},
        {"code": "sibling", "rank": 4, "percent": 30, "amount": "1.35"},
        {"code": "exemption", "percent": 50, "amount": "1.58"},
        {"code": "exemption", "percent": 100, "amount": "1.57"},
        {"code": "non_resident", "amount": "6.00"},
        {"code": "no_isee", "amount": "5.00"},
        {"code": "band", "isee_from": "15000.00", "isee_to": None, "amount": "300.00"},
        {"code": "total", "amount": "0.00"},
        {"code": "unknown-from-the-future"},
    ]
    with translation.override("it"):
        lines = tariff_explain(steps, "year")
    assert lines == [
        "ISEE scaduto il 15/01/2026: la tariffa è calcolata come senza ISEE",
        "Nessun ISEE presentato: si applica la tariffa massima, 4,50 € all'anno",
        "Terzo figlio iscritto: riduzione del 30% (−1,35 €)",  # noqa: RUF001
        "Figlio iscritto numero 4: riduzione del 30% (−1,35 €)",  # noqa: RUF001
        "Esenzione parziale decisa dall'ufficio: riduzione del 50% (−1,58 €)",  # noqa: RUF001
        "Esenzione totale decisa dall'ufficio: nulla da pagare",
        "Non residente nel Comune: 6,00 € all'anno",
        "Nessun ISEE presentato: si applica la tariffa senza ISEE, 5,00 € all'anno",
        "Fascia ISEE da 15.000,00 € in su: 300,00 € all'anno",
        "Tariffa: 0,00 € all'anno",
    ]


def test_explanation_follows_the_active_language():
    with translation.override("en"):
        lines = compute(isee="20000").explain()
    assert "15,000.00 €" in lines[0]


# --- property: monotone, never negative, always explained -------------------------------------------------------


@st.composite
def increasing_plans(draw):
    bounds = sorted(set(draw(st.lists(st.integers(min_value=1, max_value=999_999), min_size=0, max_size=6))))
    amounts = sorted(
        draw(st.lists(st.integers(min_value=0, max_value=100_000), min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    )
    starts = [0, *bounds]
    ends = [*bounds, None]
    bands = [
        Band(D(start), None if end is None else D(end), D(amount) / 100)
        for start, end, amount in zip(starts, ends, amounts, strict=True)
    ]
    return Plan(
        unit="meal",
        bands=bands,
        sibling_second_percent=draw(st.integers(0, 100)),
        sibling_third_percent=draw(st.integers(0, 100)),
    )


isee_values = st.decimals(min_value=0, max_value=1_000_000, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(
    plan=increasing_plans(),
    low=isee_values,
    high=isee_values,
    rank=st.integers(1, 6),
    exemption=st.integers(0, 100),
)
def test_monotone_never_negative_and_explained(plan, low, high, rank, exemption):
    low, high = sorted([low, high])
    assert bands_validate(plan.bands) == []
    cheap = tariff_compute(plan=plan, isee=low, resident=True, sibling_rank=rank, exemption_percent=exemption)
    dear = tariff_compute(plan=plan, isee=high, resident=True, sibling_rank=rank, exemption_percent=exemption)
    assert D(0) <= cheap.amount <= dear.amount
    assert cheap.amount == cheap.amount.quantize(D("0.01"))
    assert tariff_explain(dear.steps, dear.unit)
    assert D(dear.steps[-1]["amount"]) == dear.amount


# --- band checks -------------------------------------------------------------------------------------------------


def bands(*rows):
    return [Band(D(start), None if end is None else D(end), D(amount)) for start, end, amount in rows]


def test_valid_bands():
    assert bands_validate(bands(("0", "7500", "2.5"), ("7500", None, "3"))) == []
    assert bands_validate(bands(("0", None, "0"))) == []


def test_bands_in_any_order_and_as_dicts():
    rows = [
        {"isee_from": D("7500"), "isee_to": None, "amount": D("3")},
        {"isee_from": D("0"), "isee_to": D("7500"), "amount": D("2")},
    ]
    assert bands_validate(rows) == []


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ((), "almeno una fascia"),
        ((("100", None, "1"),), "deve partire da 0,00 €"),
        ((("0", "5000", "1"), ("6000", None, "2")), "Manca una fascia tra 5.000,00 € e 6.000,00 €"),
        ((("0", "7000", "1"), ("6000", None, "2")), "si sovrappongono"),
        ((("0", "7000", "1"), ("0", None, "2")), "si sovrappongono"),
        ((("0", None, "1"), ("7000", None, "2")), "Solo l'ultima fascia può essere senza limite"),
        ((("0", "7000", "1"), ("7000", "9000", "2")), "L'ultima fascia deve essere senza limite"),
        ((("0", "7000", "-1"), ("7000", None, "2")), "non può essere negativa"),
        ((("0", "0", "1"), ("0", None, "2")), "deve essere maggiore"),
    ],
)
def test_invalid_bands(rows, fragment):
    with translation.override("it"):
        errors = bands_validate(bands(*rows))
    assert any(fragment in error for error in errors), errors


# --- input validators of the wizard (enrollment/validators.py) -------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("INPS-ISEE-2026-12345678A-00", "INPS-ISEE-2026-12345678A-00"),
        (" inps-isee-2026-12345678a-00 ", "INPS-ISEE-2026-12345678A-00"),
        ("INPS ISEE 2026 12345678A 01", "INPS-ISEE-2026-12345678A-01"),
        ("INPS-ISEE-2020-43567844-00", "INPS-ISEE-2020-43567844-00"),  # 8 characters in the middle
        ("INPS-DSU-2014-00012345X-00", "INPS-DSU-2014-00012345X-00"),  # the older DSU protocol
    ],
)
def test_dsu_protocol_accepted(typed, stored):
    from enrollment.validators import validate_dsu_protocol

    assert validate_dsu_protocol(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "12345678A",
        "INPS-ISEE-26-12345678A-00",
        "INPS-ISEE-2026-1234567-00",
        "INPS-ISEE-2026-12345678A-0",
        "INPS-ISEE-2026-12345678AB9-00",
        "CAF-ISEE-2026-12345678A-00",
        "INPS-ISEE-2026-1234567$A-00",
    ],
)
def test_dsu_protocol_refused(typed):
    from django.core.exceptions import ValidationError

    from enrollment.validators import validate_dsu_protocol

    with pytest.raises(ValidationError):
        validate_dsu_protocol(typed)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("12.345,67", "12345.67"),
        ("12345.67", "12345.67"),
        ("12345,67", "12345.67"),
        ("0", "0.00"),
        ("1.000.000", "1000000.00"),
        ("1000000,00", "1000000.00"),
        ("7.500", "7500.00"),
        (D("10.5"), "10.50"),
    ],
)
def test_isee_parsed(typed, value):
    from enrollment.validators import parse_isee

    assert parse_isee(typed) == D(value)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("-1", "isee_format"),
        ("12,345.67", "isee_format"),
        ("1000000,01", "isee_too_high"),
        ("abc", "isee_format"),
        ("", "isee_format"),
        ("12,345", "isee_format"),
        (D("-3"), "isee_negative"),
        (D("1.234"), "isee_decimals"),
    ],
)
def test_isee_refused(typed, code):
    from django.core.exceptions import ValidationError

    from enrollment.validators import parse_isee

    with pytest.raises(ValidationError) as error:
        parse_isee(typed)
    assert error.value.code == code
