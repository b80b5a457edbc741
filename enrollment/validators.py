"""Input checks of the enrollment wizard that need no database: the DSU protocol and the ISEE amount.

DSU protocol (the number INPS prints top right on the ISEE certificate, "attestazione ISEE"):

- current format, since the 2015 ISEE reform: ``INPS-ISEE-<year>-<9 letters or digits>-<2 digits>``,
  e.g. ``INPS-ISEE-2026-12345678A-00`` (usually 8 digits and a letter; the last two digits are the
  progressive of corrections, "00" for the first DSU). Some attestations and examples carry 8 characters
  in the middle part, so 8 or 9 are accepted: ``^INPS-ISEE-(19|20)\\d{2}-[0-9A-Z]{8,9}-\\d{2}$``.
- older DSU protocol, still found on certificates the office re-keys: ``INPS-DSU-<year>-<8 or 9 letters or
  digits>-<2 digits>``: ``^INPS-DSU-(19|20)\\d{2}-[0-9A-Z]{8,9}-\\d{2}$``.

Spaces are removed and letters upper-cased before the check ("inps-isee-2026-12345678a-00" is accepted and
stored as "INPS-ISEE-2026-12345678A-00"); a space or an underscore between the parts is read as a dash.
"""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.money import AmountFormatError, parse_euro

DSU_PROTOCOL = re.compile(r"^INPS-ISEE-(?:19|20)\d{2}-[0-9A-Z]{8,9}-\d{2}$")
DSU_PROTOCOL_OLD = re.compile(r"^INPS-DSU-(?:19|20)\d{2}-[0-9A-Z]{8,9}-\d{2}$")
ISEE_MAX = Decimal("1000000.00")


def normalize_dsu_protocol(value: str) -> str:
    text = (value or "").strip().upper()
    text = re.sub(r"[\s_\u2013\u2014]+", "-", text)
    return re.sub(r"-{2,}", "-", text)


def validate_dsu_protocol(value: str) -> str:
    """The normalised DSU protocol, or a ValidationError with an example of the expected shape."""
    protocol = normalize_dsu_protocol(value)
    if not protocol:
        raise ValidationError(_("Scrivi il numero di protocollo della DSU."), code="dsu_required")
    if not (DSU_PROTOCOL.match(protocol) or DSU_PROTOCOL_OLD.match(protocol)):
        raise ValidationError(
            _(
                "Il protocollo DSU non ha il formato giusto: lo trovi in alto a destra sull'attestazione ISEE ed "
                "è fatto così: INPS-ISEE-2026-12345678A-00."
            ),
            code="dsu_format",
        )
    return protocol


def parse_isee(value: str | Decimal | int) -> Decimal:
    """An ISEE typed as "12.345,67", "12345,67" or "12345.67" → Decimal; 0 ≤ ISEE ≤ 1.000.000,00 €.

    "12,345.67" (English thousands) is refused, as `parse_euro` does. Raises ValidationError.
    """
    if isinstance(value, Decimal | int):
        amount = Decimal(value)
    else:
        try:
            amount = parse_euro(str(value))
        except AmountFormatError as exc:
            raise ValidationError(str(exc), code="isee_format") from exc
    return validate_isee_amount(amount)


def validate_isee_amount(amount: Decimal) -> Decimal:
    if amount < 0:
        raise ValidationError(_("Il valore ISEE non può essere negativo."), code="isee_negative")
    if amount > ISEE_MAX:
        raise ValidationError(
            _("Il valore ISEE non può superare 1.000.000,00 €: controlla di averlo scritto bene."),
            code="isee_too_high",
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(_("Al massimo due cifre dopo la virgola."), code="isee_decimals")
    return amount.quantize(Decimal("0.01"))
