"""The portal's side of the wire to pagoPA: `get_gateway()` returns the configured client."""

from django.conf import settings
from django.utils.module_loading import import_string

from .base import (
    CartItem,
    DebtPosition,
    DebtPositionOption,
    FdrListing,
    FdrPayment,
    Gateway,
    GatewayError,
    GatewayRejectedError,
    GatewayUnavailableError,
    ParsedReceipt,
    PositionState,
    ReceiptFormatError,
    ReceiptListing,
    ReceiptSignatureError,
    ReceiptsPage,
    ReturnUrls,
)

__all__ = [
    "CartItem",
    "DebtPosition",
    "DebtPositionOption",
    "FdrListing",
    "FdrPayment",
    "Gateway",
    "GatewayError",
    "GatewayRejectedError",
    "GatewayUnavailableError",
    "ParsedReceipt",
    "PositionState",
    "ReceiptFormatError",
    "ReceiptListing",
    "ReceiptSignatureError",
    "ReceiptsPage",
    "ReturnUrls",
    "get_gateway",
]


def get_gateway() -> Gateway:
    return import_string(settings.PAYMENTS_GATEWAY)()
