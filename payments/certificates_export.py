"""The year's school spending as a `;` CSV for the tax agency's pre-filled return (one row per pupil, person who bore
the spending and category), from the valid certificates.

The Agenzia delle Entrate's technical specification for school spending (Provvedimento 9 febbraio 2021, allegato:
a fixed-width file sent through Entratel after the Agency's control software) could not be read here; this file
carries exactly the data the Provvedimento names — year, the fiscal code of the creditor who sends it (the Comune or
a school), pupil's CF, CF of who bore the spending, kind of spending,
amount paid in the year, amount refunded in the year — for the office (or its software house) to transcribe into
the Agency's layout. Column names are fixed Italian words.
"""

from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings

from portal.csv_export import Export, csv_chunks

from .models import TaxCertificate
from .services.certificate_rules import DONATION, NURSERY, SCHOOL, category_of

HEADER = [
    "anno",
    "codice_fiscale_ente",
    "codice_fiscale_iscritto",
    "codice_fiscale_soggetto_spesa",
    "tipo_spesa",
    "importo_spesa",
    "importo_rimborso",
    "quota_percentuale",
    "codice_verifica_attestazione",
]
KINDS = {
    SCHOOL: "spese per la frequenza scolastica (mensa, trasporto, quote della scuola)",
    NURSERY: "rette per l'asilo nido",
    DONATION: "erogazioni liberali agli istituti scolastici",
}


def _sums(lines: list[dict], *, category: str, share: Decimal) -> tuple[Decimal, Decimal]:
    mine = [line for line in lines if category_of(line) == category]
    paid = sum((Decimal(line["amount"]) for line in mine if not line.get("refund")), Decimal(0))
    refunded = -sum((Decimal(line["amount"]) for line in mine if line.get("refund")), Decimal(0))
    factor = share / 100
    return (paid * factor).quantize(Decimal("0.01")), (refunded * factor).quantize(Decimal("0.01"))


def tax_data_rows(*, year: int) -> Iterator[tuple]:
    certificates = (
        TaxCertificate.objects.filter(year=year, status=TaxCertificate.Status.ISSUED)
        .select_related("child")
        .order_by("child__codice_fiscale", "holder_fiscal_code")
        .iterator(chunk_size=1000)
    )
    for certificate in certificates:
        for category, label in KINDS.items():
            paid, refunded = _sums(certificate.lines, category=category, share=certificate.share_percent)
            if paid or refunded:
                yield (
                    year,
                    certificate.creditor_fiscal_code or settings.PAGOPA_CREDITOR_FISCAL_CODE,
                    certificate.child.codice_fiscale,
                    certificate.holder_fiscal_code,
                    label,
                    paid,
                    refunded,
                    certificate.share_percent,
                    certificate.verification_code,
                )


def tax_data_export(*, year: int) -> Export:
    return f"spese_scolastiche_{year}.csv", "text/csv; charset=utf-8", csv_chunks(HEADER, tax_data_rows(year=year))
