"""The client that speaks to the pagoPA platform over HTTP (GPD v1, Checkout EC v2) and checks pushed receipts.

Every setting is read when the client is built (`get_gateway()` builds one per use): base URL, subscription key,
timeout, retries, creditor CF. With `PAGOPA_HTTP_TRANSPORT = "wsgi"` requests go in memory to this very Django
application (tests: the fake in mockpsp/ answers without a socket).
"""

import datetime
import hmac
import json
import logging
import re
import time
from decimal import Decimal
from typing import Any

import httpx
from django.conf import settings

from portal.http_transport import configured_transport, tls_context

from .. import pagopa
from ..pagopa import ROME, SIGNATURE_HEADER, receipt_sign
from .base import (
    CartItem,
    DebtPosition,
    GatewayRejectedError,
    GatewayUnavailableError,
    ParsedReceipt,
    ReceiptFormatError,
    ReceiptSignatureError,
    ReturnUrls,
)
from .http_fdr import FdrServiceMixin
from .http_receipts import ReceiptsServiceMixin

logger = logging.getLogger(__name__)

SUBSCRIPTION_HEADER = "Ocp-Apim-Subscription-Key"
_AMOUNT = re.compile(r"^\d{1,9}\.\d{2}$")
_BACKOFF_SECONDS = (0.2, 0.5, 1.0, 2.0)


# --- receipt signature -----------------------------------------------------------------------------------------


def _header(headers: dict[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in (headers or {}).items():
        if key.lower() == wanted:
            return value or ""
    return ""


def _cents(value: object, field: str) -> int:
    """A decimal string such as "45.50" → 4550 (never through float)."""
    if not isinstance(value, str) or not _AMOUNT.match(value):
        raise ReceiptFormatError(f"{field}: not an amount with two decimals")
    return int(Decimal(value) * 100)


def _subject(data: object) -> tuple[str, str]:
    """(fiscal code, full name) of a ctSubject, flat or with a nested uniqueIdentifier."""
    if not isinstance(data, dict):
        return "", ""
    code = data.get("entityUniqueIdentifierValue")
    if code is None and isinstance(data.get("uniqueIdentifier"), dict):
        code = data["uniqueIdentifier"].get("entityUniqueIdentifierValue")
    return str(code or "").strip().upper()[:16], str(data.get("fullName") or "").strip()[:70]


def _text(data: dict, key: str, *, max_length: int, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_length:
        raise ReceiptFormatError(f"{key}: missing or too long")
    return value.strip()


# A ctReceiptV2 is about five levels deep (receipt, transferList, a transfer, its metadata, an entry).
RECEIPT_MAX_DEPTH = 32


def _nested_deeper_than(text: str, limit: int) -> bool:
    """True if the JSON text opens more than `limit` arrays/objects inside each other (strings skipped), found with
    one linear scan and no recursion, before the parser sees it."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def receipt_parse(body: bytes) -> ParsedReceipt:
    """A ctReceiptV2-shaped JSON body → ParsedReceipt (no signature check: see receipt_verify_and_parse)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ReceiptFormatError("body is not UTF-8", refusal="malformed") from error
    if _nested_deeper_than(text, RECEIPT_MAX_DEPTH):  # "[[[[…": refused unparsed, no RecursionError
        raise ReceiptFormatError(f"body is nested deeper than {RECEIPT_MAX_DEPTH} levels", refusal="too_deep")
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ReceiptFormatError("body is not JSON", refusal="malformed") from error
    except RecursionError as error:  # cannot happen after the depth check; kept so that it is never a 500
        raise ReceiptFormatError("body is nested too deep", refusal="too_deep") from error
    if not isinstance(data, dict):
        raise ReceiptFormatError("body is not a JSON object")
    notice_number = _text(data, "noticeNumber", max_length=18)
    if not re.fullmatch(r"\d{18}", notice_number):
        raise ReceiptFormatError("noticeNumber: not 18 digits")
    creditor = _text(data, "fiscalCode", max_length=11)
    outcome = _text(data, "outcome", max_length=2)
    if outcome not in {"OK", "KO"}:
        raise ReceiptFormatError("outcome: not OK or KO")
    paid_text = _text(data, "paymentDateTime", max_length=40)
    try:
        paid_at = datetime.datetime.fromisoformat(paid_text)
    except ValueError as error:
        raise ReceiptFormatError("paymentDateTime: not an ISO date and time") from error
    if paid_at.tzinfo is None:
        paid_at = paid_at.replace(tzinfo=ROME)
    payer_code, payer_name = _subject(data.get("payer"))
    if not payer_code:
        payer_code, payer_name = _subject(data.get("debtor"))
    return ParsedReceipt(
        receipt_id=_text(data, "receiptId", max_length=64),
        notice_number=notice_number,
        iuv=_text(data, "creditorReferenceId", max_length=35),
        creditor_fiscal_code=creditor,
        outcome=outcome,
        amount_cents=_cents(data.get("paymentAmount"), "paymentAmount"),
        fee_cents=_cents(data.get("fee", "0.00"), "fee"),
        psp_id=_text(data, "idPSP", max_length=35),
        psp_name=_text(data, "PSPCompanyName", max_length=140),
        payment_method=_text(data, "paymentMethod", max_length=35, required=False),
        payer_fiscal_code=payer_code,
        payer_name=payer_name,
        paid_at=paid_at,
        psp_fiscal_code=_text(data, "pspFiscalCode", max_length=16, required=False),
        application_date=_application_date(data),
    )


def _application_date(data: dict) -> datetime.date | None:
    """ctReceiptV2's applicationDate (xs:date), when given."""
    text = _text(data, "applicationDate", max_length=10, required=False)
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:
        raise ReceiptFormatError("applicationDate: not an ISO date") from error


def pagopa_endpoints() -> dict[str, tuple[str, str]]:
    """(base URL, subscription key) of each pagoPA service, from settings: its own, or the general one."""
    base, key = settings.PAGOPA_BASE_URL.rstrip("/"), settings.PAGOPA_SUBSCRIPTION_KEY
    own = {
        "gpd": (settings.PAGOPA_GPD_BASE_URL, settings.PAGOPA_GPD_SUBSCRIPTION_KEY, base),
        "checkout": (
            settings.PAGOPA_CHECKOUT_BASE_URL,
            settings.PAGOPA_CHECKOUT_SUBSCRIPTION_KEY,
            f"{base}/checkout/ec/v2",
        ),
        "receipts": (settings.PAGOPA_RECEIPTS_BASE_URL, settings.PAGOPA_RECEIPTS_SUBSCRIPTION_KEY, base),
        "fdr": (settings.PAGOPA_FDR_BASE_URL, settings.PAGOPA_FDR_SUBSCRIPTION_KEY, base),
    }
    return {
        name: ((url or fallback).rstrip("/"), service_key or key) for name, (url, service_key, fallback) in own.items()
    }


def gpd_datetime(day: datetime.date) -> str:
    """The last second of a day in Rome, as GPD reads its dates: a Java LocalDateTime compared with the current UTC
    time, which refuses an offset such as +01:00. So: UTC, written with "Z" (`2026-12-22T22:59:59Z`)."""
    moment = datetime.datetime.combine(day, datetime.time(23, 59, 59), ROME).astimezone(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def receipt_verify(*, body: bytes, headers: dict[str, str], secret: str) -> None:
    """Raise ReceiptSignatureError unless the header carries the HMAC of the raw body (an empty secret: never)."""
    if not secret:
        raise ReceiptSignatureError("no receipt secret configured")
    given = _header(headers, SIGNATURE_HEADER).strip()
    if not given.startswith("sha256="):
        raise ReceiptSignatureError("missing signature")
    if not hmac.compare_digest(given.encode(), receipt_sign(body=body, secret=secret).encode()):
        raise ReceiptSignatureError("bad signature")


# --- the client ------------------------------------------------------------------------------------------------


def _problem(response: httpx.Response) -> tuple[str, str]:
    """(fault code, message) of an error answer (pagoPA ProblemJson, with our faultCode)."""
    try:
        data = response.json()
    except ValueError:
        return "", response.text[:200]
    if not isinstance(data, dict):
        return "", str(data)[:200]
    code = str(data.get("faultCode") or data.get("code") or "")
    message = str(data.get("detail") or data.get("message") or data.get("title") or "")
    return code, message[:300]


class HttpGateway(ReceiptsServiceMixin, FdrServiceMixin):
    """`Gateway` over HTTP: GPD v1 for debt positions, Checkout EC v2 for carts, the receipts service for pull (see
    http_receipts), HMAC-signed pushed receipts from the fake."""

    def __init__(self, *, transport: httpx.BaseTransport | None = None) -> None:
        endpoints = pagopa_endpoints()
        self.gpd_url, self.subscription_key = endpoints["gpd"]
        self.checkout_url, self.checkout_key = endpoints["checkout"]
        self.receipts_url, self.receipts_key = endpoints["receipts"]
        self.fdr_url, self.fdr_key = endpoints["fdr"]
        self.timeout = float(settings.PAGOPA_TIMEOUT_SECONDS)
        self.retries = max(0, int(settings.PAGOPA_RETRIES))
        self.creditor = settings.PAGOPA_CREDITOR_FISCAL_CODE
        self.transport = transport if transport is not None else configured_transport()

    # transport -----------------------------------------------------------------------------------------------

    def _send(
        self, method: str, url: str, *, key: str, accept: str = "application/json", **kwargs: Any
    ) -> tuple[httpx.Response, int]:
        """Send with retries on no answer or 5xx; returns the answer and how many attempts it took."""
        headers = {SUBSCRIPTION_HEADER: key, "Accept": accept}
        last_error = ""
        with httpx.Client(
            transport=self.transport, verify=tls_context(), timeout=self.timeout, follow_redirects=False
        ) as client:
            for attempt in range(self.retries + 1):
                if attempt:
                    time.sleep(_BACKOFF_SECONDS[min(attempt - 1, len(_BACKOFF_SECONDS) - 1)])
                try:
                    response = client.request(method, url, headers=headers, **kwargs)
                except httpx.TransportError as error:
                    last_error = f"{type(error).__name__}: {error}"
                    logger.warning("pagoPA %s %s: no answer (%s)", method, url, last_error)
                    continue
                if response.status_code >= 500:
                    last_error = f"HTTP {response.status_code}"
                    logger.warning("pagoPA %s %s: %s", method, url, last_error)
                    continue
                return response, attempt + 1
        raise GatewayUnavailableError(f"pagoPA non risponde ({last_error})")

    def _gpd(self, method: str, path: str, *, organization: str = "", **kwargs: Any) -> tuple[httpx.Response, int]:
        """A call to GPD for one organization (one station, many organizations): the one named, else the one of
        the IUPD in the path, else the Comune."""
        organization = organization or pagopa.iupd_organization(path.lstrip("/")) or self.creditor
        url = f"{self.gpd_url}/organizations/{organization}/debtpositions{path}"
        return self._send(method, url, key=self.subscription_key, **kwargs)

    @staticmethod
    def _json_or_reject(response: httpx.Response, *, ok: set[int]) -> dict:
        if response.status_code not in ok:
            code, message = _problem(response)
            raise GatewayRejectedError(
                message or f"HTTP {response.status_code}", status=response.status_code, code=code
            )
        try:
            data = response.json()
        except ValueError:
            data = {}
        return data if isinstance(data, dict) else {}

    # Gateway -------------------------------------------------------------------------------------------------

    def debt_position_create(self, *, position: DebtPosition) -> str:
        response, attempts = self._gpd(
            "POST",
            "",
            organization=self._organization(position),
            params={"toPublish": "true"},
            json=self._position_body(position),
        )
        if response.status_code == 409 and attempts > 1:
            # An earlier attempt did arrive (its answer was lost) and created the position: read it back.
            try:
                return self.debt_position_status(iupd=position.iupd)
            except GatewayRejectedError:
                pass
        data = self._json_or_reject(response, ok={200, 201})
        return str(data.get("status") or "VALID")

    def debt_position_update(self, *, position: DebtPosition) -> str:
        response, _attempts = self._gpd("PUT", f"/{position.iupd}", json=self._position_body(position))
        data = self._json_or_reject(response, ok={200})
        return str(data.get("status") or "VALID")

    def debt_position_invalidate(self, *, iupd: str) -> str:
        response, _attempts = self._gpd("POST", f"/{iupd}/invalidate")
        if response.status_code == 409 and self.debt_position_status(iupd=iupd) == "INVALID":
            return "INVALID"  # already cancelled: the same outcome
        data = self._json_or_reject(response, ok={200})
        return str(data.get("status") or "INVALID")

    def debt_position_status(self, *, iupd: str) -> str:
        response, _attempts = self._gpd("GET", f"/{iupd}")
        return str(self._json_or_reject(response, ok={200}).get("status") or "")

    def checkout_open(self, *, items: list[CartItem], return_urls: ReturnUrls, email: str, cart_id: str) -> str:
        body = {
            "paymentNotices": [
                {
                    "noticeNumber": item.notice_number,
                    "fiscalCode": item.creditor_fiscal_code,
                    "amount": int(item.amount_cents),
                    "companyName": item.company_name[:140],
                    "description": item.description[:140],
                }
                for item in items
            ],
            "returnUrls": {
                "returnOkUrl": return_urls.ok,
                "returnCancelUrl": return_urls.cancel,
                "returnErrorUrl": return_urls.error,
                "returnWaitingUrl": return_urls.waiting,
            },
            "idCart": cart_id,
            "allCCP": False,
        }
        if email:
            body["emailNotice"] = email
        response, _attempts = self._send("POST", f"{self.checkout_url}/carts", key=self.checkout_key, json=body)
        location = response.headers.get("location", "")
        if response.status_code == 302 and location:
            return str(response.url.join(location))
        code, message = _problem(response)
        raise GatewayRejectedError(message or f"HTTP {response.status_code}", status=response.status_code, code=code)

    def receipt_verify_and_parse(self, *, body: bytes, headers: dict[str, str]) -> ParsedReceipt:
        receipt_verify(body=body, headers=headers, secret=settings.PAYMENTS_WEBHOOK_SECRET)
        return receipt_parse(body)

    # payloads ------------------------------------------------------------------------------------------------

    def _organization(self, position: DebtPosition) -> str:
        return position.organization_fiscal_code or pagopa.iupd_organization(position.iupd) or self.creditor

    def _position_body(self, position: DebtPosition) -> dict:
        payer = position.payer_fiscal_code.upper()
        body = {
            "iupd": position.iupd,
            "type": "F" if len(payer) == 16 else "G",
            "fiscalCode": payer,
            "fullName": position.payer_name[:70],
            "companyName": position.company_name[:140],
            "officeName": position.office_name[:140],
            "switchToExpired": False,
            "paymentOption": [
                {
                    "iuv": option.iuv,
                    "nav": option.notice_number,
                    "amount": int(option.amount_cents),
                    "description": option.description[:140],
                    "isPartialPayment": option.is_partial_payment,
                    "dueDate": gpd_datetime(option.due_date),
                    "transfer": [
                        {
                            "idTransfer": "1",
                            "amount": int(option.amount_cents),
                            "organizationFiscalCode": self._organization(position),
                            "remittanceInformation": option.description[:140],
                            "category": position.taxonomy_code,
                            "iban": position.iban,
                        }
                    ],
                }
                for option in position.options
            ],
        }
        if position.payer_email:
            body["email"] = position.payer_email
        return body
