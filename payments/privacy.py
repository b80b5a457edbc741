"""Payments in the portal-wide privacy registry (portal.privacy): the user's notices and receipts, and why an
account that paid (or was asked to pay) must be anonymised rather than deleted.

Notices, receipts and ledger entries are accounting and tax records: kept for 10 years (art. 2220 c.c.; the
receipts are also the proof for the tax deduction of school expenses). The copies of payer name and codice
fiscale on notices and receipts stay as they were when anonymising the account.
"""

from django.db.models import Q

from portal.privacy import register_exporter, register_retention_check

from .models import Cart, LedgerEntry, PaymentNotice, Receipt

RETENTION_REASON = (
    "Ci sono avvisi di pagamento, ricevute o movimenti di saldo legati all'account: sono documenti contabili e "
    "fiscali da conservare per 10 anni, quindi l'account viene anonimizzato e non cancellato."
)


def payments_retention_reason(user) -> str | None:
    if user.pk is None:
        return None
    linked = (
        PaymentNotice.objects.filter(Q(payer=user) | Q(created_by=user) | Q(closed_by=user)).exists()
        or Receipt.objects.filter(payer_fiscal_code=user.codice_fiscale).exists()
        or LedgerEntry.objects.filter(created_by=user).exists()
        or Cart.objects.filter(user=user).exists()
    )
    return RETENTION_REASON if linked else None


def payments_personal_data(user) -> dict:
    """The notices the user is the payer of, and the receipts of payments made by the user or for those notices."""
    notices = PaymentNotice.objects.filter(payer=user).select_related("child").order_by("created_at", "pk")
    receipts = (
        Receipt.objects.filter(Q(notice__payer=user) | Q(payer_fiscal_code=user.codice_fiscale))
        .select_related("notice")
        .order_by("paid_at", "pk")
    )
    return {
        "avvisi": [
            {
                "causale": notice.causale,
                "bambino": f"{notice.child.first_name} {notice.child.last_name}",
                "servizio": notice.get_service_kind_display(),
                "importo": str(notice.amount),
                "scadenza": notice.due_date,
                "stato": notice.get_status_display(),
                "pagatore_codice_fiscale": notice.payer_fiscal_code,
                "pagatore_nome": notice.payer_name,
                "creato_il": notice.created_at,
                "pagato_il": notice.paid_at,
            }
            for notice in notices
        ],
        "ricevute": [
            {
                "identificativo": receipt.receipt_id,
                "codice_avviso": receipt.notice_number,
                "causale": receipt.notice.causale,
                "importo": str(receipt.amount),
                "commissione": str(receipt.fee),
                "psp": receipt.psp_name,
                "pagato_da_codice_fiscale": receipt.payer_fiscal_code,
                "pagato_da_nome": receipt.payer_name,
                "pagato_il": receipt.paid_at,
            }
            for receipt in receipts.distinct()
        ],
    }


register_exporter("pagamenti", payments_personal_data)
register_retention_check("pagamenti", payments_retention_reason)
