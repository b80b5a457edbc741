"""Codice fiscale: normalisation and validation (python-codicefiscale), for adults and children."""

import datetime
import re
import unicodedata
from dataclasses import dataclass

from codicefiscale import codicefiscale
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CF_LENGTH = 16
_SHAPE = re.compile(r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$")


def normalize_codice_fiscale(value: str) -> str:
    """Upper case, without spaces: the form in which a CF is stored and compared."""
    return "".join(str(value).split()).upper()


def validate_codice_fiscale(value: str) -> str:
    """Return the normalised CF, or raise a ValidationError that says what is wrong with it."""
    cf = normalize_codice_fiscale(value)
    if len(cf) != CF_LENGTH:
        raise ValidationError(
            _("Lunghezza errata: il codice fiscale ha 16 caratteri, ne sono stati inseriti %(count)s."),
            code="cf_length",
            params={"count": len(cf)},
        )
    if not cf.isascii() or not _SHAPE.match(cf):
        raise ValidationError(
            _(
                "Formato non valido: il codice fiscale è fatto di 6 lettere, 2 cifre, una lettera, 2 cifre, "
                "una lettera, 3 cifre e una lettera (es. RSSMRA85T10A562S)."
            ),
            code="cf_format",
        )
    try:
        codicefiscale.decode(cf)
    except ValueError as exc:
        message = str(exc)
        if "CIN" in message:
            raise ValidationError(
                _("Il carattere di controllo non corrisponde: verifica di aver copiato bene ogni carattere."),
                code="cf_checksum",
            ) from exc
        if "birthplace" in message:
            raise ValidationError(
                _("Il comune o lo stato di nascita contenuto nel codice fiscale non esiste."), code="cf_birthplace"
            ) from exc
        if "birthdate" in message or "date" in message:
            raise ValidationError(
                _("La data di nascita contenuta nel codice fiscale non è valida."), code="cf_birthdate"
            ) from exc
        raise ValidationError(_("Codice fiscale non valido."), code="cf_invalid") from exc
    return cf


_NAME_PUNCTUATION = set(" '\u2019-.")


def validate_person_name(value: str) -> None:
    """Letters of any alphabet, accents, spaces, apostrophes, hyphens and dots: what names are made of."""
    for char in value:
        if char in _NAME_PUNCTUATION:
            continue
        if unicodedata.category(char)[0] not in {"L", "M"}:
            raise ValidationError(
                _("Usa solo lettere, spazi, apostrofi, punti e trattini (carattere non ammesso: «%(char)s»)."),
                code="name_characters",
                params={"char": char},
            )


EMAIL_MAX_LENGTH = 254  # RFC 5321's limit on a path, and the length of every e-mail column


def validate_email_length(value: str) -> None:
    """Refuse an e-mail address longer than can be stored and delivered: say so, never cut it."""
    if len(value) > EMAIL_MAX_LENGTH:
        raise ValidationError(
            _("L'indirizzo e-mail può avere al massimo %(max)d caratteri (ne hai inseriti %(count)d): controllalo."),
            code="email_too_long",
            params={"max": EMAIL_MAX_LENGTH, "count": len(value)},
        )


class MaximumLengthPasswordValidator:
    """Passwords longer than this are refused (hashing megabytes would be a denial of service)."""

    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                _("La password può avere al massimo %(max)d caratteri."),
                code="password_too_long",
                params={"max": self.max_length},
            )

    def get_help_text(self) -> str:
        return str(_("La password può avere al massimo %(max)d caratteri.") % {"max": self.max_length})


class CodiceFiscalePasswordValidator:
    """Refuse a password that contains the user's codice fiscale or a recognisable part of it.

    Case and separators do not count ("Rss-Mra-85" is "RSSMRA85"); a part is any run of `min_part` characters of
    the code: its first 8 (surname, name and year of birth: "RSSMRA85"), its last 8 (birth date, place and check
    character), or any run between. At signup allauth passes an unsaved user that carries the typed CF.
    """

    def __init__(self, min_part: int = 8) -> None:
        self.min_part = min_part

    def validate(self, password: str, user=None) -> None:
        cf = normalize_codice_fiscale(getattr(user, "codice_fiscale", "") or "")
        if len(cf) < self.min_part:
            return
        text = "".join(char for char in password.upper() if char.isalnum())
        windows = {cf[start : start + self.min_part] for start in range(len(cf) - self.min_part + 1)}
        if any(window in text for window in windows):
            raise ValidationError(
                _("La password contiene il tuo codice fiscale o una sua parte: scegline una diversa."),
                code="password_too_similar_to_codice_fiscale",
            )

    def get_help_text(self) -> str:
        return str(_("La password non può contenere il tuo codice fiscale né una sua parte."))


_OMOCODE_DIGITS = str.maketrans("LMNPQRSTUV", "0123456789")


def codice_fiscale_sex(codice_fiscale: str) -> str:
    """The sex a (valid, normalised) CF encodes: women's birth day is written plus 40."""
    return "F" if int(codice_fiscale[9:11].translate(_OMOCODE_DIGITS)) > 40 else "M"


@dataclass(frozen=True)
class CodiceFiscaleBirth:
    """What a (valid, normalised) CF says of its holder's birth."""

    birth_date: datetime.date
    sex: str  # "F" or "M"
    birthplace: str  # the Comune or the foreign country, "" when the code is unknown


def codice_fiscale_birth(codice_fiscale: str) -> CodiceFiscaleBirth:
    """Birth date (the century that does not put it in the future), sex and birthplace a valid CF encodes."""
    decoded = codicefiscale.decode(codice_fiscale)
    place = decoded.get("birthplace") or {}
    return CodiceFiscaleBirth(
        birth_date=decoded["birthdate"].date(),
        sex=codice_fiscale_sex(codice_fiscale),
        birthplace=str(place.get("name_trans") or place.get("name") or ""),
    )


def codice_fiscale_mismatches(
    codice_fiscale: str, *, first_name: str, last_name: str, birth_date, sex: str
) -> list[str]:
    """Which of surname, name, birth date and sex disagree with what the (valid) CF encodes.

    Returns the names of the fields that do not match: "last_name", "first_name", "birth_date", "sex".
    """
    raw = codicefiscale.decode_raw(codice_fiscale)
    mismatches = []
    if last_name and codicefiscale.encode_lastname(last_name) != raw["lastname"]:
        mismatches.append("last_name")
    if first_name and codicefiscale.encode_firstname(first_name) != raw["firstname"]:
        mismatches.append("first_name")
    day = int(raw["birthdate_day"].translate(_OMOCODE_DIGITS))
    if sex and sex != codice_fiscale_sex(codice_fiscale):
        mismatches.append("sex")
    if birth_date is not None:
        year = int(raw["birthdate_year"].translate(_OMOCODE_DIGITS))
        month = "ABCDEHLMPRST".index(raw["birthdate_month"]) + 1
        if (birth_date.year % 100, birth_date.month, birth_date.day) != (year, month, day - 40 if day > 40 else day):
            mismatches.append("birth_date")
    return mismatches
