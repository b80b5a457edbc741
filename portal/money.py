"""Money helpers: Decimal euro with two places, one rounding rule, one parser for what people type.

Integer cents exist only at the pagoPA boundary (`to_cents`, `from_cents`).
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.formats import number_format
from django.utils.translation import gettext as _

CENT = Decimal("0.01")

_ITALIAN_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")  # 12.345,67 · 1.000
_ENGLISH_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")  # 12,345.67
_PLAIN_COMMA = re.compile(r"^\d+(,\d+)?$")  # 12345,67 · 12,50
_PLAIN_DOT = re.compile(r"^\d+(\.\d+)?$")  # 12345.67 · 12.50


class AmountFormatError(ValueError):
    """The text is not an amount in euro; the message says why, in the user's language."""


def quantize_eur(value: Decimal | int | str) -> Decimal:
    """Round to the cent, half up (the one rounding rule of the portal)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def euro_format(amount: Decimal | int | str | None, *, space: str = "\u00a0") -> str:
    """ "1.234,50 €" in the active language (rounded to the cent, grouped thousands): the one way money is written
    for people, in Python (messages, admin columns) and in templates (the `euro` filter of portal_format).

    `space` goes between the number and the sign (a no-break space: the sign never wraps to the next line)."""
    if amount is None or amount == "":
        return ""
    return f"{number_format(quantize_eur(amount), decimal_pos=2, force_grouping=True)}{space}€"


def to_cents(amount: Decimal) -> int:
    return int((quantize_eur(amount) * 100).to_integral_value())


def from_cents(cents: int) -> Decimal:
    return quantize_eur(Decimal(int(cents)) / 100)


def parse_euro(text: str, *, max_decimals: int = 2) -> Decimal:
    """Read an amount typed the Italian way ("12.345,67", "12,50") or the plain English way ("12345.67").

    "12,345.67" (English thousands) is refused: in Italy it reads as twelve euro. A dot followed by exactly
    three digits is a thousands separator ("12.345" = 12345), as Italians write it; but not after a zero:
    "0.500" is someone writing fifty cents the English way, never five hundred euro, so it is refused.
    """
    cleaned = (text or "").strip().replace("€", "").replace("EUR", "").replace(" ", "").replace("\u00a0", "")
    if cleaned.startswith("-"):
        raise AmountFormatError(_("L'importo non può essere negativo."))
    if not cleaned:
        raise AmountFormatError(_("Inserisci un importo."))
    if _ENGLISH_GROUPED.match(cleaned) and "." in cleaned:
        raise AmountFormatError(
            _("Scrivi l'importo all'italiana, con la virgola per i decimali: ad esempio 12345,67 o 12.345,67.")
        )
    if _ITALIAN_GROUPED.match(cleaned) and not cleaned.split(".")[0].strip("0"):
        raise AmountFormatError(
            _("Il punto separa le migliaia: per i centesimi usa la virgola, ad esempio 0,50 o 0,05.")
        )
    if _ITALIAN_GROUPED.match(cleaned):
        normal = cleaned.replace(".", "").replace(",", ".")
    elif _PLAIN_COMMA.match(cleaned):
        normal = cleaned.replace(",", ".")
    elif _PLAIN_DOT.match(cleaned):
        normal = cleaned
    else:
        raise AmountFormatError(_("Scrivi solo cifre, con la virgola per i decimali: ad esempio 12,50."))
    if "." in normal and len(normal.split(".")[1]) > max_decimals:
        raise AmountFormatError(_("Al massimo due cifre dopo la virgola."))
    try:
        return Decimal(normal)
    except InvalidOperation as error:  # pragma: no cover - the patterns above admit only digits
        raise AmountFormatError(_("Importo non valido.")) from error
