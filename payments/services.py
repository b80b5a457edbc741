"""Every write about payments: notices (issue, publish, cancel, expire), top-ups and carts.

This module is the one import point for the payment services; they live in sibling modules, re-exported here:
- `notices`: the data checks, IUV allocation, issue (one or in bulk), cancellation and expiry;
- `positions`: publication of the notices' debt positions on the pagoPA platform;
- `carts`: top-ups and the online checkout (cart open, return);
- `ledger` (balances and their entries) and `receipts` (the receipt intake).

`get_gateway` and `_publish_dispatch` are looked up here by the modules behind it, at each call: patch them on
`payments.services` (as the tests do).

Rules kept:
- a notice's IUVs and notice numbers come from IuvBase rows (an auto-increment id never handed out twice);
- a notice is issued in one transaction with its options (and, for a fee, the ledger debit); it is published
  on the platform after commit (a task; the beat job `notices_publish_pending` retries what did not go);
- only a receipt marks a notice paid (receipts.py): the return from the checkout records what the browser said;
- a published notice is cancelled on the platform first: if the platform does not answer, the cancellation is
  refused (a notice cancelled here but still payable there could be paid unseen).
"""

# Names importable from here before the split, kept so (not part of __all__): helpers, constants, and the errors,
# gateway types and models the services use.
from accounts.selectors import children_for_user  # noqa: F401
from enrollment.models import ServiceKind  # noqa: F401
from portal.money import CENT, AmountFormatError, parse_euro, quantize_eur, to_cents  # noqa: F401

from . import pagopa  # noqa: F401
from .carts import (  # noqa: F401
    CART_OUTCOMES,
    SERVICE_WORD,
    cart_open,
    cart_return,
    payable_option,
    school_year_label,
    topup_causale,
    topup_create,
)
from .errors import (  # noqa: F401
    AmountError,
    CartError,
    NotFoundError,
    NoticeDataError,
    PaymentsError,
    PlatformRejectedError,
    PlatformUnavailableError,
)
from .gateway import (  # noqa: F401
    CartItem,
    DebtPosition,
    DebtPositionOption,
    GatewayRejectedError,
    GatewayUnavailableError,
    ReturnUrls,
    get_gateway,
)
from .ledger import ledger_adjust, ledger_record, ledger_record_many, ledger_refund, meal_debit
from .models import Cart, IuvBase, LedgerEntry, PaymentNotice, PaymentOption  # noqa: F401
from .notices import (  # noqa: F401
    CAUSALE_FORBIDDEN,
    CAUSALE_MAX,
    MAX_INSTALMENTS,
    MAX_NOTICE_AMOUNT,
    PUBLISH_CHUNK,
    PlatformState,
    Status,
    amount_check,
    causale_check,
    euro_text,
    iuv_allocate,
    notice_cancel,
    notice_issue,
    notices_expire_overdue,
    notices_issue_bulk,
)
from .positions import (  # noqa: F401
    GPD_STATE,
    PLATFORM_REJECTED,
    PLATFORM_UNAVAILABLE,
    _publish_dispatch,
    _publish_many_dispatch,
    debt_position_of,
    notice_publish,
    notices_publish_pending,
)
from .receipts import receipt_intake

__all__ = [
    "cart_open",
    "cart_return",
    "iuv_allocate",
    "ledger_adjust",
    "ledger_record",
    "ledger_record_many",
    "ledger_refund",
    "meal_debit",
    "notice_cancel",
    "notice_issue",
    "notice_publish",
    "notices_expire_overdue",
    "notices_issue_bulk",
    "notices_publish_pending",
    "receipt_intake",
    "topup_create",
]
