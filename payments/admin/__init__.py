"""The office's view of payments: notices (cancel with a reason), receipts (daily report, CSV), the raw receipt
messages, the ledger (read-only) and balances (adjustments with a reason, through the ledger service).

Nothing here writes a payment row itself: every action calls a service.
"""

from . import certificates, children, creditors, fdr, ledger, notices, receipts

__all__ = ["certificates", "children", "creditors", "fdr", "ledger", "notices", "receipts"]
