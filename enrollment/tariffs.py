"""The tariff of one enrollment, computed and explained by one pure function (no database).

The same steps are shown to the parent in the wizard, printed on the receipt and visible to the office:
`tariff_compute` returns the amount and JSON-able steps, `tariff_explain` turns the steps into sentences in the
active language. Bands are [from, to): the lower bound included, the upper excluded; the last is open-ended.

Order of the rules: base amount (non-resident tariff when set; without ISEE the no-ISEE tariff or the top band;
else the ISEE band) → sibling reduction (2nd child, 3rd and later) → exemption by the office (100 = free). Every
percentage is rounded to the cent (half up) as soon as it is applied; the result is never negative.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.money import euro_format, quantize_eur

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

# The same msgids as Service.Unit, so one translation serves both.
UNIT_LABELS = {"meal": _("a pasto"), "year": _("all'anno"), "month": _("al mese")}


class TariffError(ValueError):
    """The plan cannot price this case (no bands, or an ISEE outside every band): the plan is not valid."""


@dataclass(frozen=True)
class Band:
    isee_from: Decimal
    isee_to: Decimal | None
    amount: Decimal


@dataclass(frozen=True)
class Plan:
    unit: str
    bands: list[Band] = field(default_factory=list)
    no_isee_amount: Decimal | None = None
    non_resident_amount: Decimal | None = None
    sibling_second_percent: int = 0
    sibling_third_percent: int = 0


@dataclass(frozen=True)
class Tariff:
    amount: Decimal
    unit: str
    steps: list[dict] = field(default_factory=list)

    def explain(self) -> list[str]:
        return tariff_explain(self.steps, self.unit)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(quantize_eur(value))


def _percent_of(amount: Decimal, percent: int) -> Decimal:
    return quantize_eur(amount * Decimal(percent) / HUNDRED)


def _band_for(bands: list[Band], isee: Decimal) -> Band:
    for band in sorted(bands, key=lambda b: b.isee_from):
        if band.isee_from <= isee and (band.isee_to is None or isee < band.isee_to):
            return band
    raise TariffError(f"no band for ISEE {isee}")


def _top_band(bands: list[Band]) -> Band:
    if not bands:
        raise TariffError("the plan has no bands")
    return max(bands, key=lambda b: b.isee_from)


def tariff_compute(
    *, plan: Plan, isee: Decimal | None, resident: bool, sibling_rank: int = 1, exemption_percent: int = 0
) -> Tariff:
    """The tariff for one child, with the steps that explain it (see the module docstring for the rules)."""
    if sibling_rank < 1:
        raise ValueError("sibling_rank starts at 1")
    if not 0 <= exemption_percent <= 100:
        raise ValueError("exemption_percent must be between 0 and 100")
    if isee is not None and isee < 0:
        raise ValueError("ISEE cannot be negative")

    steps: list[dict] = []
    if not resident and plan.non_resident_amount is not None:
        amount = quantize_eur(plan.non_resident_amount)
        steps.append({"code": "non_resident", "amount": _money(amount)})
    elif isee is None:
        if plan.no_isee_amount is not None:
            amount = quantize_eur(plan.no_isee_amount)
            steps.append({"code": "no_isee", "amount": _money(amount)})
        else:
            band = _top_band(plan.bands)
            amount = quantize_eur(band.amount)
            steps.append(
                {
                    "code": "no_isee_top_band",
                    "isee_from": _money(band.isee_from),
                    "isee_to": _money(band.isee_to),
                    "amount": _money(amount),
                }
            )
    else:
        band = _band_for(plan.bands, isee)
        amount = quantize_eur(band.amount)
        steps.append(
            {
                "code": "band",
                "isee_from": _money(band.isee_from),
                "isee_to": _money(band.isee_to),
                "amount": _money(amount),
            }
        )

    if sibling_rank >= 2:
        percent = plan.sibling_second_percent if sibling_rank == 2 else plan.sibling_third_percent
        if percent:
            reduction = min(_percent_of(amount, percent), amount)
            amount = amount - reduction
            steps.append({"code": "sibling", "rank": sibling_rank, "percent": percent, "amount": _money(reduction)})

    if exemption_percent:
        reduction = amount if exemption_percent >= 100 else min(_percent_of(amount, exemption_percent), amount)
        amount = amount - reduction
        steps.append({"code": "exemption", "percent": exemption_percent, "amount": _money(reduction)})

    amount = max(quantize_eur(amount), ZERO)
    steps.append({"code": "total", "amount": _money(amount)})
    return Tariff(amount=amount, unit=plan.unit, steps=steps)


def money_format(value: Decimal | str | None) -> str:
    """ "1.234,50 €" in Italian ("1,234.50 €" in English): portal.money.euro_format, with a plain space."""
    return euro_format(value, space=" ")


MEALS_EXAMPLE = 20  # the example a family reads for a prepaid canteen: "20 pasti = 56,00 €"


def meals_example(price: Decimal | str | None) -> Decimal | None:
    """What MEALS_EXAMPLE meals cost at `price` a meal (rounded by the one rule), None without a price."""
    if price is None:
        return None
    return quantize_eur(Decimal(price) * MEALS_EXAMPLE)


def _unit_label(unit: str) -> str:
    label = UNIT_LABELS.get(unit)
    return str(label) if label is not None else unit


def _step_sentence(step: dict, unit: str) -> str | None:
    code = step.get("code")
    price = {"amount": money_format(step.get("amount")), "unit": _unit_label(unit)}
    if code == "band":
        if step.get("isee_to") is None:
            return gettext("Fascia ISEE da %(from)s in su: %(amount)s %(unit)s") % {
                "from": money_format(step["isee_from"]),
                **price,
            }
        return gettext("Fascia ISEE da %(from)s a %(to)s (escluso): %(amount)s %(unit)s") % {
            "from": money_format(step["isee_from"]),
            "to": money_format(step["isee_to"]),
            **price,
        }
    if code == "no_isee_top_band":
        return gettext("Nessun ISEE presentato: si applica la tariffa massima, %(amount)s %(unit)s") % price
    if code == "no_isee":
        return gettext("Nessun ISEE presentato: si applica la tariffa senza ISEE, %(amount)s %(unit)s") % price
    if code == "isee_expired":
        expires_on = datetime.date.fromisoformat(step["expires_on"])
        return gettext("ISEE scaduto il %(date)s: la tariffa è calcolata come senza ISEE") % {
            "date": date_format(expires_on, "d/m/Y")
        }
    if code == "isee_expired_accepted":
        expires_on = datetime.date.fromisoformat(step["expires_on"])
        return gettext("ISEE scaduto il %(date)s, accettato dall'ufficio") % {"date": date_format(expires_on, "d/m/Y")}
    if code == "non_resident":
        return gettext("Non residente nel Comune: %(amount)s %(unit)s") % price
    if code == "sibling":
        values = {"percent": step["percent"], "amount": money_format(step["amount"]), "rank": step["rank"]}
        if step["rank"] == 2:
            return gettext("Secondo figlio iscritto: riduzione del %(percent)s%% (−%(amount)s)") % values  # noqa: RUF001
        if step["rank"] == 3:
            return gettext("Terzo figlio iscritto: riduzione del %(percent)s%% (−%(amount)s)") % values  # noqa: RUF001
        return gettext("Figlio iscritto numero %(rank)s: riduzione del %(percent)s%% (−%(amount)s)") % values  # noqa: RUF001
    if code == "exemption":
        if step["percent"] >= 100:
            return gettext("Esenzione totale decisa dall'ufficio: nulla da pagare")
        return gettext("Esenzione parziale decisa dall'ufficio: riduzione del %(percent)s%% (−%(amount)s)") % {  # noqa: RUF001
            "percent": step["percent"],
            "amount": money_format(step["amount"]),
        }
    if code == "total":
        return gettext("Tariffa: %(amount)s %(unit)s") % price
    return None


def tariff_explain(steps: Iterable[dict], unit: str) -> list[str]:
    """The steps as sentences in the active language, in the order they were applied (unknown codes skipped)."""
    return [sentence for step in steps or () if (sentence := _step_sentence(step, unit))]


def _value(band, name: str):
    return band.get(name) if isinstance(band, dict) else getattr(band, name, None)


def bands_validate(bands: Iterable) -> list[str]:
    """What is wrong with a list of bands (Band, a model or a dict): empty when they cover [0, ∞) exactly once.

    The first starts at 0, each one starts where the previous ends (no gaps, no overlaps), only the last is
    open-ended (and it must be), each upper bound is above its lower bound, and no amount is negative.
    """
    items = [band for band in bands if _value(band, "isee_from") is not None]
    if not items:
        return [gettext("Inserisci almeno una fascia ISEE.")]
    items.sort(key=lambda band: (_value(band, "isee_from"), _value(band, "isee_to") is None))
    errors: list[str] = []
    if _value(items[0], "isee_from") != 0:
        errors.append(
            gettext("La prima fascia deve partire da 0,00 € (ora parte da %(from)s).")
            % {"from": money_format(_value(items[0], "isee_from"))}
        )
    for index, band in enumerate(items):
        start, end, amount = _value(band, "isee_from"), _value(band, "isee_to"), _value(band, "amount")
        if start < 0:
            errors.append(gettext("Una fascia non può partire da un ISEE negativo."))
        if amount is not None and amount < 0:
            errors.append(
                gettext("La tariffa della fascia da %(from)s non può essere negativa.") % {"from": money_format(start)}
            )
        if end is not None and end <= start:
            errors.append(
                gettext("Nella fascia da %(from)s il limite «fino a» deve essere maggiore del limite «da».")
                % {"from": money_format(start)}
            )
        is_last = index == len(items) - 1
        if is_last:
            if end is not None:
                errors.append(
                    gettext("L'ultima fascia deve essere senza limite: lascia vuoto «fino a» (ora è %(to)s).")
                    % {"to": money_format(end)}
                )
            continue
        following = _value(items[index + 1], "isee_from")
        if end is None:
            errors.append(
                gettext("Solo l'ultima fascia può essere senza limite: la fascia da %(from)s non lo è.")
                % {"from": money_format(start)}
            )
        elif end < following:
            errors.append(
                gettext("Manca una fascia tra %(to)s e %(next)s: le fasce non devono lasciare buchi.")
                % {"to": money_format(end), "next": money_format(following)}
            )
        elif end > following:
            errors.append(
                gettext("La fascia da %(from)s e quella da %(next)s si sovrappongono.")
                % {"from": money_format(start), "next": money_format(following)}
            )
    return errors
