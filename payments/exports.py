"""Exports for the office: (filename, content_type, iterator of text chunks), streamed by the admin.

CSV as Excel in Italy opens it: ";" separated, UTF-8 with BOM, decimal comma, dd/mm/yyyy.
"""

import datetime
from collections.abc import Iterator

from portal.csv_export import CSV_CONTENT_TYPE, Export, csv_chunks

from .models import Receipt
from .selectors import day_bounds, receipts_daily_report


def receipts_daily_report_csv(*, day: datetime.date) -> Export:
    """The day's receipts per service and PSP, with a total line, then every receipt of the day."""

    def rows() -> Iterator[list]:
        report = receipts_daily_report(day=day)
        yield ["Riepilogo delle ricevute pagoPA del", day]
        yield ["Servizio", "Codice PSP", "PSP", "Ricevute", "Importo (€)", "Commissioni PSP (€)", "Da verificare"]
        for row in report.rows:
            yield [row.service_label, row.psp_id, row.psp_name, row.count, row.amount, row.fees, row.flagged]
        yield ["Totale", "", "", report.count, report.amount, report.fees, sum(r.flagged for r in report.rows)]
        yield []
        yield [
            "Pagato il",
            "Ricevuta",
            "Codice avviso",
            "IUV",
            "Servizio",
            "Causale",
            "Importo (€)",
            "Commissione (€)",
            "Codice PSP",
            "PSP",
            "Metodo",
            "Da verificare",
            "Motivo",
        ]
        start, end = day_bounds(day)
        receipts = (
            Receipt.objects.filter(paid_at__gte=start, paid_at__lt=end)
            .select_related("notice")
            .order_by("paid_at", "pk")
        )
        for receipt in receipts.iterator(chunk_size=1000):
            yield [
                receipt.paid_at,
                receipt.receipt_id,
                receipt.notice_number,
                receipt.iuv,
                receipt.notice.get_service_kind_display(),
                receipt.notice.causale,
                receipt.amount,
                receipt.fee,
                receipt.psp_id,
                receipt.psp_name,
                receipt.payment_method,
                "sì" if receipt.flagged else "no",
                receipt.flag_reason,
            ]

    return f"ricevute-pagopa-{day:%Y-%m-%d}.csv", CSV_CONTENT_TYPE, csv_chunks(None, rows())
