"""Every write about payments, one function per business action (keyword arguments, one transaction each).

- `notices`: IUV allocation, issue (one or in bulk), cancellation; `expiry` the daily expiry; `validation` checks
  their data; `school_events` the schools' payment events;
- `positions`: publication of the notices' debt positions on the pagoPA platform;
- `carts`: top-ups and the online checkout (cart open, return);
- `ledger`: balances and their entries; `receipts`: the receipt intake (the only proof of payment);
- `fees`: the notices enrollments cause (transport's yearly fee, the nursery's monthly one);
- `office`: the one-off notice the office issues by hand (through `notice_issue`);
- `notify`: the payer's e-mails (notice issued, with its PDF; notice cancelled, with the reason);
- `events`: the record of each notice's life, written by the services above in their own transaction.

Rules kept:
- a notice's IUVs and notice numbers come from IuvBase rows (an auto-increment id never handed out twice);
- a notice is issued in one transaction with its options (and, for a fee, the ledger debit); it is published
  on the platform after commit (a task; the beat job `notices_publish_pending_task` retries what did not go);
- only a receipt marks a notice paid: the return from the checkout records what the browser said;
- a published notice is cancelled on the platform first: if the platform does not answer, the cancellation is
  refused (a notice cancelled here but still payable there could be paid unseen).

Services queue tasks (`payments.tasks`) after commit; a task imports its service inside its body. The gateway is
looked up at each call as `payments.gateway.get_gateway` (tests patch it there).
"""

from ..errors import PayerError
from .carts import cart_open, cart_return, topup_create
from .expiry import notices_expire_overdue
from .fdr import fdr_import, fdr_rematch
from .fees import nursery_fees_issue, transport_fees_issue
from .intake_refused import receipt_intake_refuse
from .ledger import ledger_adjust, ledger_meal_debit, ledger_record, ledger_record_many, ledger_refund
from .notices import iuv_allocate, notice_cancel, notice_issue, notices_issue_bulk
from .office import OFFICE_NOTICE_MAX, notice_issue_oneoff, notice_payer_default
from .positions import notice_publish, notice_publish_retry, notices_publish_pending
from .pull import positions_sweep, receipts_pull
from .receipts import receipt_accept, receipt_intake, receipt_message_store
from .retention import refused_intake_call_purge
from .station import station_receipt_intake

__all__ = [
    "OFFICE_NOTICE_MAX",
    "PayerError",
    "cart_open",
    "cart_return",
    "fdr_import",
    "fdr_rematch",
    "iuv_allocate",
    "ledger_adjust",
    "ledger_meal_debit",
    "ledger_record",
    "ledger_record_many",
    "ledger_refund",
    "notice_cancel",
    "notice_issue",
    "notice_issue_oneoff",
    "notice_payer_default",
    "notice_publish",
    "notice_publish_retry",
    "notices_expire_overdue",
    "notices_issue_bulk",
    "notices_publish_pending",
    "nursery_fees_issue",
    "positions_sweep",
    "receipt_accept",
    "receipt_intake",
    "receipt_intake_refuse",
    "receipt_message_store",
    "receipts_pull",
    "refused_intake_call_purge",
    "station_receipt_intake",
    "topup_create",
    "transport_fees_issue",
]
