"""The payments app's models (Django's `payments.models`): `notices` (what is owed), `receipts` (what the platform
sent), `ledger` (where money moves), `fdr` (what the PSPs report they transferred), `certificates`
(the yearly tax certificates), `schools` (schools as creditors, their payment events)."""

from .certificates import ExpenseSplit, TaxCertificate
from .fdr import FdrFlow, FdrLine
from .ledger import Balance, LedgerEntry
from .notices import Cart, IuvBase, PaymentNotice, PaymentNoticeEvent, PaymentOption
from .receipts import Receipt, ReceiptMessage
from .schools import Creditor, CreditorSchool, EventKind, SchoolPaymentEvent

__all__ = [
    "Balance",
    "Cart",
    "Creditor",
    "CreditorSchool",
    "EventKind",
    "ExpenseSplit",
    "FdrFlow",
    "FdrLine",
    "IuvBase",
    "LedgerEntry",
    "PaymentNotice",
    "PaymentNoticeEvent",
    "PaymentOption",
    "Receipt",
    "ReceiptMessage",
    "SchoolPaymentEvent",
    "TaxCertificate",
]
