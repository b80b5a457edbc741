"""The fake's wire format: GPD v1 and Checkout v2 bodies checked as the platform checks them, and positions as JSON.

Pure functions (no database): the duplicate checks, which need the database, are in services.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from payments.pagopa import CREDITOR_FISCAL_CODE_PATTERN, ROME, TAXONOMY_PATTERN, check_digits

from .faults import bad_request
from .models import DebtPosition

IUV = re.compile(r"^\d{17}$")
NAV = re.compile(r"^3\d{17}$")
PERSON_CF = re.compile(r"^[A-Z0-9]{16}$")
IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
MAX_OPTIONS = 100
MAX_TRANSFERS = 5
MAX_CART = 5


def _text(data: dict, key: str, where: str, *, max_length: int, required: bool = True) -> str:
    value = data.get(key)
    if value in (None, "") and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{where}{key}: required text")
    if len(value) > max_length:
        raise bad_request(f"{where}{key}: longer than {max_length} characters")
    return value.strip()


def _cents(data: dict, key: str, where: str, *, minimum: int = 1, required: bool = True) -> int:
    value = data.get(key, None if required else 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"{where}{key}: integer euro cents required")
    if value < minimum:
        raise bad_request(f"{where}{key}: must be at least {minimum}")
    return value


GPD_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z?$")
# The fields gpd.json marks readOnly in the request models (PaymentPositionModel, PaymentOptionModel): the fake
# refuses a request that sets them (400), so that a client that does is found here rather than on the platform.
READ_ONLY_POSITION = ("status", "paymentDate")
READ_ONLY_OPTION = ("notificationFee",)


def _read_only_refuse(data: dict, names: tuple[str, ...], where: str) -> None:
    for name in names:
        if name in data:
            raise bad_request(f"{where}{name}: read-only, computed by the platform")


def _when(data: dict, key: str, where: str, *, required: bool) -> datetime.datetime | None:
    value = data.get(key)
    if value in (None, ""):
        if required:
            raise bad_request(f"{where}{key}: required date")
        return None
    text = str(value)
    if not GPD_DATETIME.match(text):
        # GPD parses these fields as a Java LocalDateTime (compared with the current UTC time): an offset such as
        # +01:00 is refused with a 400, as here; "Z" or no suffix at all is read as UTC.
        raise bad_request(f"{where}{key}: not a GPD date and time (yyyy-MM-ddTHH:mm:ss, UTC, no offset)")
    try:
        parsed = datetime.datetime.fromisoformat(text.removesuffix("Z"))
    except ValueError as error:
        raise bad_request(f"{where}{key}: not an ISO date") from error
    return parsed.replace(tzinfo=datetime.UTC)


def _when_required(data: dict, key: str, where: str) -> datetime.datetime:
    value = _when(data, key, where, required=True)
    if value is None:  # pragma: no cover - _when refuses a missing required date
        raise bad_request(f"{where}{key}: required date")
    return value


def nav_check(nav: str, *, strict: bool) -> None:
    """A codice avviso must be aux digit 3 + 17 digits; its mod-93 check digits are verified unless relaxed."""
    if not NAV.match(nav or ""):
        raise bad_request(f"nav {nav!r}: must be 3 followed by 17 digits")
    if strict and check_digits(nav[:16]) != nav[16:]:
        raise bad_request(f"nav {nav}: wrong check digits")


def _transfers(option: dict, where: str, amount: int) -> list[dict]:
    transfers = option.get("transfer")
    if not isinstance(transfers, list) or not 1 <= len(transfers) <= MAX_TRANSFERS:
        raise bad_request(f"{where}transfer: 1 to {MAX_TRANSFERS} transfers required")
    cleaned, ids = [], set()
    for index, transfer in enumerate(transfers):
        at = f"{where}transfer[{index}]."
        if not isinstance(transfer, dict):
            raise bad_request(f"{at}: object required")
        id_transfer = str(transfer.get("idTransfer", ""))
        if id_transfer not in {"1", "2", "3", "4", "5"} or id_transfer in ids:
            raise bad_request(f"{at}idTransfer: 1..5, each once")
        ids.add(id_transfer)
        organization = _text(transfer, "organizationFiscalCode", at, max_length=11, required=False)
        if organization and not CREDITOR_FISCAL_CODE_PATTERN.match(organization):
            raise bad_request(f"{at}organizationFiscalCode: 11 digits")
        category = _text(transfer, "category", at, max_length=20)
        if not TAXONOMY_PATTERN.match(category):
            raise bad_request(f"{at}category: not a taxonomy code")
        iban = (transfer.get("iban") or "").replace(" ", "").upper()
        stamp = transfer.get("stamp")
        if bool(iban) == bool(stamp):
            raise bad_request(f"{at}: exactly one of iban and stamp")
        if iban and not IBAN.match(iban):
            raise bad_request(f"{at}iban: not an IBAN")
        cleaned.append(
            {
                "idTransfer": id_transfer,
                "amount": _cents(transfer, "amount", at),
                "organizationFiscalCode": organization,
                "remittanceInformation": _text(transfer, "remittanceInformation", at, max_length=140),
                "category": category,
                "iban": iban,
            }
        )
    if sum(int(transfer["amount"]) for transfer in cleaned) != amount:
        raise bad_request(f"{where}transfer: the transfers do not add up to the option amount")
    return cleaned


def _email(data: dict, key: str) -> str:
    email = _text(data, key, "", max_length=254, required=False)
    if email:
        try:
            validate_email(email)
        except ValidationError as error:
            raise bad_request(f"{key}: not an e-mail address") from error
    return email


def _option_clean(
    option: object, where: str, *, seen: set[str], validity: datetime.datetime | None, strict_check_digit: bool
) -> dict:
    """One paymentOption of a position body → the fields of PaymentOption; adds its iuv to `seen` (once each)."""
    if not isinstance(option, dict):
        raise bad_request(f"{where}: object required")
    _read_only_refuse(option, READ_ONLY_OPTION, where)
    iuv = _text(option, "iuv", where, max_length=17)
    if not IUV.match(iuv):
        raise bad_request(f"{where}iuv: 17 digits")
    nav = _text(option, "nav", where, max_length=18, required=False) or f"3{iuv}"
    nav_check(nav, strict=strict_check_digit)
    if nav[1:] != iuv:
        raise bad_request(f"{where}nav: must be the aux digit followed by the iuv")
    if iuv in seen:
        raise bad_request(f"{where}iuv: repeated in the request")
    seen.add(iuv)
    amount = _cents(option, "amount", where)
    due = _when_required(option, "dueDate", where)
    if validity is not None and due <= validity:
        raise bad_request(f"{where}dueDate: must be after validityDate")
    partial = option.get("isPartialPayment")
    if not isinstance(partial, bool):
        raise bad_request(f"{where}isPartialPayment: boolean required")
    return {
        "iuv": iuv,
        "nav": nav,
        "amount_cents": amount,
        "fee_cents": _cents(option, "fee", where, minimum=0, required=False),
        "due_date": due.astimezone(ROME).date(),
        "description": _text(option, "description", where, max_length=140),
        "is_partial_payment": partial,
        "transfers": _transfers(option, where, amount),
    }


def _options_clean(options: object, *, validity: datetime.datetime | None, strict_check_digit: bool) -> list[dict]:
    if not isinstance(options, list) or not 1 <= len(options) <= MAX_OPTIONS:
        raise bad_request("paymentOption: at least one option required")
    seen: set[str] = set()
    return [
        _option_clean(
            option, f"paymentOption[{index}].", seen=seen, validity=validity, strict_check_digit=strict_check_digit
        )
        for index, option in enumerate(options)
    ]


def position_clean(data: object, *, strict_check_digit: bool) -> dict:
    """A PaymentPositionModel body → the fields of DebtPosition and its options (400 fault otherwise)."""
    if not isinstance(data, dict):
        raise bad_request("body: JSON object required")
    _read_only_refuse(data, READ_ONLY_POSITION, "")
    kind = data.get("type", "F")
    if kind not in {"F", "G"}:
        raise bad_request("type: F or G")
    payer = _text(data, "fiscalCode", "", max_length=16).upper()
    if not (PERSON_CF.match(payer) if kind == "F" else CREDITOR_FISCAL_CODE_PATTERN.match(payer)):
        raise bad_request("fiscalCode: not a fiscal code of the given type")
    email = _email(data, "email")
    validity = _when(data, "validityDate", "", required=False)
    if validity is not None and validity < timezone.now() - datetime.timedelta(minutes=5):
        raise bad_request("validityDate: in the past")
    switch = data.get("switchToExpired", False)
    if not isinstance(switch, bool):
        raise bad_request("switchToExpired: boolean")
    options = _options_clean(data.get("paymentOption"), validity=validity, strict_check_digit=strict_check_digit)
    return {
        "iupd": _text(data, "iupd", "", max_length=64),
        "type": kind,
        "payer_fiscal_code": payer,
        "payer_name": _text(data, "fullName", "", max_length=70),
        "payer_email": email,
        "company_name": _text(data, "companyName", "", max_length=140),
        "office_name": _text(data, "officeName", "", max_length=140, required=False),
        "validity_date": validity,
        "switch_to_expired": switch,
        "options": options,
    }


def _return_url(urls: dict, key: str, *, required: bool = True) -> str:
    url = _text(urls, key, "returnUrls.", max_length=500, required=required)
    if url and not (url.startswith(("http://", "https://")) or (url.startswith("/") and not url.startswith("//"))):
        raise bad_request(f"returnUrls.{key}: http(s) URL required")
    return url


def cart_clean(data: object, *, strict_check_digit: bool) -> dict:
    """A Checkout v2 cart body → notices (1-5) and return URLs (400 fault otherwise)."""
    if not isinstance(data, dict):
        raise bad_request("body: JSON object required")
    notices = data.get("paymentNotices")
    if not isinstance(notices, list) or not 1 <= len(notices) <= MAX_CART:
        raise bad_request(f"paymentNotices: 1 to {MAX_CART} notices required")
    items, seen = [], set()
    for index, notice in enumerate(notices):
        where = f"paymentNotices[{index}]."
        if not isinstance(notice, dict):
            raise bad_request(f"{where}: object required")
        number = _text(notice, "noticeNumber", where, max_length=18)
        nav_check(number, strict=strict_check_digit)
        creditor = _text(notice, "fiscalCode", where, max_length=11)
        if not CREDITOR_FISCAL_CODE_PATTERN.match(creditor):
            raise bad_request(f"{where}fiscalCode: 11 digits")
        if (creditor, number) in seen:
            raise bad_request(f"{where}noticeNumber: repeated in the cart")
        seen.add((creditor, number))
        items.append(
            {
                "noticeNumber": number,
                "fiscalCode": creditor,
                "amount": _cents(notice, "amount", where),
                "companyName": _text(notice, "companyName", where, max_length=140),
                "description": _text(notice, "description", where, max_length=140),
            }
        )
    urls = data.get("returnUrls")
    if not isinstance(urls, dict):
        raise bad_request("returnUrls: required")
    email = _email(data, "emailNotice")
    return {
        "items": items,
        "return_ok_url": _return_url(urls, "returnOkUrl"),
        "return_cancel_url": _return_url(urls, "returnCancelUrl"),
        "return_error_url": _return_url(urls, "returnErrorUrl"),
        "return_waiting_url": _return_url(urls, "returnWaitingUrl", required=False),
        "email": email,
        "id_cart": _text(data, "idCart", "", max_length=64, required=False),
    }


def _iso(value: datetime.datetime | None) -> str | None:
    return timezone.localtime(value, ROME).isoformat() if value else None


def position_json(position: DebtPosition) -> dict:
    """A position as GPD answers it (PaymentPositionModelBaseResponse-like)."""
    return {
        "iupd": position.iupd,
        "organizationFiscalCode": position.organization_fiscal_code,
        "type": position.type,
        "fiscalCode": position.payer_fiscal_code,
        "fullName": position.payer_name,
        "email": position.payer_email or None,
        "companyName": position.company_name,
        "officeName": position.office_name or None,
        "validityDate": _iso(position.validity_date),
        "switchToExpired": position.switch_to_expired,
        "status": position.status,
        "insertedDate": _iso(position.created_at),
        "publishDate": _iso(position.published_at),
        "paymentDate": _iso(position.paid_at),
        "lastUpdatedDate": _iso(position.updated_at),
        "paymentOption": [
            {
                "iuv": option.iuv,
                "nav": option.nav,
                "organizationFiscalCode": position.organization_fiscal_code,
                "amount": option.amount_cents,
                "description": option.description,
                "isPartialPayment": option.is_partial_payment,
                "dueDate": datetime.datetime.combine(option.due_date, datetime.time(23, 59, 59), ROME).isoformat(),
                "fee": option.fee_cents,
                "status": option.status,
                "paymentDate": _iso(option.paid_at),
                "transfer": option.transfers,
            }
            for option in position.options.all()
        ],
    }
