"""What the portal needs from the pagoPA platform, independent of how it is reached.

Amounts cross this boundary as integer euro cents and states use GPD's names, as on the real wire.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol


class GatewayError(Exception):
    """The platform could not do what was asked."""


class GatewayUnavailableError(GatewayError):
    """The platform did not answer (timeout, connection refused, 5xx after retries): try later."""


class GatewayRejectedError(GatewayError):
    """The platform answered no (4xx): the request itself is wrong or the position is in the wrong state."""

    def __init__(self, message: str, *, status: int = 400, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class ReceiptSignatureError(Exception):
    """A posted receipt is not signed by the platform (or not parseable): reject it, credit nothing."""


class ReceiptFormatError(ReceiptSignatureError):
    """A correctly signed body that is not a receipt (not JSON, nested too deep, a field missing or malformed).

    `refusal` is the ReceiptMessage.Refusal code it is recorded with: "malformed", "too_deep" or "shape"."""

    def __init__(self, message: str, *, refusal: str = "shape") -> None:
        super().__init__(message)
        self.refusal = refusal


@dataclass(frozen=True)
class DebtPositionOption:
    iuv: str
    notice_number: str
    amount_cents: int
    due_date: datetime.date
    description: str
    is_partial_payment: bool = False  # True = one instalment (rata) of several


@dataclass(frozen=True)
class DebtPosition:
    iupd: str
    payer_fiscal_code: str
    payer_name: str
    payer_email: str
    company_name: str
    office_name: str
    taxonomy_code: str
    iban: str
    options: list[DebtPositionOption] = field(default_factory=list)
    organization_fiscal_code: str = ""  # the creditor ("" = the Comune of the settings)


@dataclass(frozen=True)
class CartItem:
    notice_number: str
    creditor_fiscal_code: str
    amount_cents: int
    company_name: str
    description: str


@dataclass(frozen=True)
class ReturnUrls:
    ok: str
    cancel: str
    error: str
    waiting: str


@dataclass(frozen=True)
class ParsedReceipt:
    """A receipt (ctReceiptV2 fields) after its signature was verified."""

    receipt_id: str
    notice_number: str
    iuv: str
    creditor_fiscal_code: str
    outcome: str  # "OK" | "KO"
    amount_cents: int
    fee_cents: int
    psp_id: str
    psp_name: str
    payment_method: str
    payer_fiscal_code: str
    payer_name: str
    paid_at: datetime.datetime
    psp_fiscal_code: str = ""  # pspFiscalCode: printed on the payer's attestation
    application_date: datetime.date | None = None  # applicationDate: the Nodo's "data applicativa" of the payment


@dataclass(frozen=True)
class ReceiptListing:
    """One row of the receipts service's list: the IUV and when it was paid (as the service writes it)."""

    iuv: str
    paid_at: str = ""


@dataclass(frozen=True)
class ReceiptsPage:
    items: list[ReceiptListing]
    total_pages: int


@dataclass(frozen=True)
class PositionState:
    """A debt position on the platform: its status and the IUVs of its options that are paid (or reported)."""

    status: str
    paid_iuvs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FdrListing:
    """A page of published flows: each {fdr, pspId, revision, published, flowDate} as the service lists them."""

    flows: list[dict]
    total_pages: int


@dataclass(frozen=True)
class FdrPayment:
    """One payment line of a flow (fdr_organization.json, Payment)."""

    index: int
    iuv: str
    iur: str
    id_transfer: int
    amount: Decimal
    pay_date: datetime.datetime | None
    pay_status: str


class Gateway(Protocol):
    def debt_position_create(self, *, position: DebtPosition) -> str:
        """Create and publish the position; returns its GPD status ("VALID"). 409 duplicate → GatewayRejectedError."""

    def debt_position_update(self, *, position: DebtPosition) -> str:
        """Replace an unpaid position's data (PUT: same IUPD, IUVs and notice numbers); returns its GPD status."""

    def debt_position_invalidate(self, *, iupd: str) -> str:
        """Cancel a published position; returns "INVALID"."""

    def debt_position_status(self, *, iupd: str) -> str:
        """The position's current GPD status."""

    def checkout_open(self, *, items: list[CartItem], return_urls: ReturnUrls, email: str, cart_id: str) -> str:
        """Open a checkout for 1-5 notices; returns the URL to send the browser to."""

    def receipt_verify_and_parse(self, *, body: bytes, headers: dict[str, str]) -> ParsedReceipt:
        """Check the signature on the raw body and parse it; ReceiptSignatureError otherwise."""

    def receipts_list(
        self, *, organization: str, date_from: datetime.date, date_to: datetime.date, page: int
    ) -> ReceiptsPage:
        """One page (from 0) of the receipts the platform holds for the days given; empty when none."""

    def receipt_document(self, *, organization: str, iuv: str) -> bytes | None:
        """One receipt as the platform keeps it (paSendRTV2 request, XML); None when it has none."""

    def debt_position_get(self, *, iupd: str) -> PositionState:
        """The position's status on the platform and its paid options' IUVs."""

    def fdr_list(self, *, organization: str, published_after: datetime.datetime | None, page: int) -> FdrListing:
        """One page (from 1) of the flows published for the organization after the instant; empty when none."""

    def fdr_flow(self, *, organization: str, fdr: str, revision: int, psp_id: str) -> dict:
        """One flow's header."""

    def fdr_payments(
        self, *, organization: str, fdr: str, revision: int, psp_id: str, page: int, sink: Callable
    ) -> int:
        """Stream one page (from 1) of a flow's payments into sink(FdrPayment); returns the count."""
