"""The checks of a notice's data that need no database: amounts, causale, instalments.

Each raises a domain error (AmountError, NoticeDataError) whose message is shown to the user.
"""

import datetime
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from portal.money import CENT, AmountFormatError, parse_euro, quantize_eur

from .. import pagopa
from ..errors import AmountError, NoticeDataError

MAX_NOTICE_AMOUNT = Decimal("999999999.99")  # the largest amount a pagoPA notice prints
MAX_INSTALMENTS = 12
CAUSALE_MAX = pagopa.DESCRIPTION_MAX
# Words that would put health or income data in a causale (printed on the notice, sent to banks and PSPs).
CAUSALE_FORBIDDEN = re.compile(
    r"\bisee\b|\bdsu\b|diet[ae]|celiac|allerg|intolleran|medic|sanitar|salute|patolog|disabil|handicap|diabet"
    r"|\b(legge|l\.)\s*104\b|\bredditi?\b",
    re.IGNORECASE,
)


def euro_text(value: Decimal) -> str:
    """1234.5 → "1.234,50 €" (for messages; templates use the _money partial)."""
    grouped = f"{quantize_eur(value):,.2f}".replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return f"{grouped} €"


def amount_check(amount: object, *, maximum: Decimal | None = None) -> Decimal:
    """A positive amount in euro with at most two decimals (Decimal, or text as people type it: "12,50")."""
    if isinstance(amount, str):
        try:
            amount = parse_euro(amount)
        except AmountFormatError as error:
            raise AmountError(str(error)) from error
    if isinstance(amount, bool | float) or not isinstance(amount, Decimal | int):
        raise AmountError(_("L'importo deve essere un numero decimale in euro."))
    try:
        value = Decimal(amount)
    except InvalidOperation as error:  # pragma: no cover - Decimal and int always convert
        raise AmountError(_("Importo non valido.")) from error
    if not value.is_finite():
        raise AmountError(_("Importo non valido."))
    if value <= 0:
        raise AmountError(_("L'importo deve essere maggiore di zero."))
    limit = MAX_NOTICE_AMOUNT if maximum is None else min(maximum, MAX_NOTICE_AMOUNT)
    if value > limit:
        raise AmountError(_("L'importo massimo è %(max)s.") % {"max": euro_text(limit)})
    if value != value.quantize(CENT):
        raise AmountError(_("Al massimo due cifre dopo la virgola."))
    return value.quantize(CENT)


def causale_check(text: str, *, names: tuple[str, ...] = ()) -> str:
    """The causale as printed: one line, 1-140 characters, naming service, period and child, never health or ISEE.

    `names` (the child's and the payer's) are left out of the word check: a surname such as "Medici" is a name.
    """
    cleaned = " ".join((text or "").split())
    if not cleaned:
        raise NoticeDataError(_("Scrivi la causale."))
    if len(cleaned) > CAUSALE_MAX:
        raise NoticeDataError(_("La causale può avere al massimo %(max)d caratteri.") % {"max": CAUSALE_MAX})
    checked = cleaned
    for name in sorted(filter(None, names), key=len, reverse=True):
        checked = re.sub(re.escape(name), " ", checked, flags=re.IGNORECASE)
    if CAUSALE_FORBIDDEN.search(checked):
        raise NoticeDataError(
            _(
                "La causale non può contenere dati sanitari, diete o dati ISEE e di reddito: indica solo servizio, "
                "periodo e bambino."
            )
        )
    return cleaned


def instalments_check(
    instalments: Sequence[tuple[object, object]] | None, *, total: Decimal, today: datetime.date
) -> list[tuple[int, Decimal, datetime.date]]:
    """The instalments (amount, due date) as options (number from 1, amount, due): 2-12, summing to `total`."""
    if not instalments:
        return []
    if not 2 <= len(instalments) <= MAX_INSTALMENTS:
        raise NoticeDataError(_("Le rate devono essere da 2 a %(max)d.") % {"max": MAX_INSTALMENTS})
    out = []
    for number, (amount, due) in enumerate(instalments, start=1):
        value = amount_check(amount)
        if not isinstance(due, datetime.date) or due < today:
            raise NoticeDataError(_("La scadenza della rata %(n)d non è valida.") % {"n": number})
        out.append((number, value, due))
    if sum(value for _n, value, _d in out) != total:
        raise NoticeDataError(_("La somma delle rate deve essere uguale all'importo dell'avviso."))
    return out
