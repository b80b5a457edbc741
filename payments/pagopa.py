"""pagoPA identifiers, without the database: notice numbers (codice avviso), IUVs and the QR payload.

Scheme "aux digit 3" (SACI 3.x): NAV = 3 + segregation code (2) + IUV base (13) + check (2), where check is the
number formed by the first 16 digits modulo 93; the IUV is the NAV without its aux digit.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

# What both sides of the wire share (the client in payments.gateway, the fake in mockpsp): the platform's time
# zone, the receipt signature's header and how it is computed.
ROME = ZoneInfo("Europe/Rome")
SIGNATURE_HEADER = "X-PagoPA-Signature"

AUX_DIGIT = "3"
NOTICE_NUMBER_PATTERN = re.compile(r"^3\d{17}$")
CREDITOR_FISCAL_CODE_PATTERN = re.compile(r"^\d{11}$")
TAXONOMY_PATTERN = re.compile(r"^[6-9]/\d{7}(IM|TS|SP|SA|AP)/$")
# A Comune's own collections (pagoPA taxonomy of payment services): "9/" + 7 digits + legal reason + "/".
CREDITOR_TAXONOMY_PATTERN = re.compile(r"^9/\d{7}(IM|TS|SP|SA|AP)/$")
IBAN_PATTERN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")


def entity_fiscal_code_valid(code: str) -> bool:
    """An entity's 11-digit codice fiscale / partita IVA with its check digit (the Luhn-like rule of the Agenzia
    delle Entrate: odd places as they are, even places doubled less 9 when over 9)."""
    if not CREDITOR_FISCAL_CODE_PATTERN.match(code or "") or not code.strip("0"):
        return False
    total = 0
    for index, char in enumerate(code[:10]):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit * 2 > 9 else digit * 2
        total += digit
    return (10 - total % 10) % 10 == int(code[10])


def iban_valid(iban: str) -> bool:
    """The IBAN's own check digits (ISO 13616, mod 97); an Italian IBAN has 27 characters."""
    compact = "".join((iban or "").split()).upper()
    if not IBAN_PATTERN.match(compact) or (compact.startswith("IT") and len(compact) != 27):
        return False
    digits = "".join(str(int(char, 36)) for char in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


def iupd_organization(iupd: str) -> str:
    """The organization a debt position belongs to, read off its IUPD: the portal's IUPDs start with the creditor's
    fiscal code (11 digits); "" when it does not."""
    head = (iupd or "")[:11]
    return head if CREDITOR_FISCAL_CODE_PATTERN.match(head) else ""


MAX_BASE = 10**13 - 1
DESCRIPTION_MAX = 140  # causale / remittance information, as GPD and Checkout accept it


class NoticeNumberError(ValueError):
    pass


def check_digits(body: str) -> str:
    return f"{int(body) % 93:02d}"


def notice_number(*, segregation_code: int, base: int) -> str:
    """The 18-digit codice avviso for one IUV base (a number never used before)."""
    if not 0 <= segregation_code <= 99:
        raise NoticeNumberError("segregation code must have two digits")
    if not 0 < base <= MAX_BASE:
        raise NoticeNumberError("IUV base must have at most 13 digits")
    body = f"{AUX_DIGIT}{segregation_code:02d}{base:013d}"
    return body + check_digits(body)


def iuv_from_notice_number(number: str) -> str:
    return number[1:]


def notice_number_is_valid(number: str) -> bool:
    return bool(NOTICE_NUMBER_PATTERN.match(number or "")) and check_digits(number[:16]) == number[16:]


def notice_number_normalise(text: str) -> str:
    """What a person types (spaces, dashes) → 18 digits; the caller checks validity."""
    return re.sub(r"[\s.-]", "", text or "")


def notice_number_grouped(number: str) -> str:
    """Printed form: groups of four separated by one space ("3010 0000 0000 0123 73")."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def qr_payload(*, notice_number: str, creditor_fiscal_code: str, amount_cents: int) -> str:
    """PAGOPA|002|<NAV 18>|<CF ente 11>|<amount in cents>, the content of the notice's QR code."""
    return f"PAGOPA|002|{notice_number}|{creditor_fiscal_code}|{int(amount_cents)}"


@dataclass(frozen=True)
class QrData:
    notice_number: str
    creditor_fiscal_code: str
    amount_cents: int


def qr_parse(payload: str) -> QrData:
    parts = (payload or "").strip().split("|")
    if len(parts) != 5 or parts[0] != "PAGOPA" or parts[1] != "002" or not parts[4].isdigit():
        raise NoticeNumberError("not a pagoPA QR payload")
    return QrData(parts[2], parts[3], int(parts[4]))


def receipt_sign(*, body: bytes, secret: str) -> str:
    """The value of the X-PagoPA-Signature header for a raw body: "sha256=<hex HMAC-SHA256>"."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
