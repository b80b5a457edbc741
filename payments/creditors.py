"""Who a notice is owed to: the Comune (from the settings) or a school that is a creditor of its own (a Creditor row).

One station, many organizations: every notice carries its creditor (fiscal code, name, IBAN, segregation code,
taxonomy); the debt position, the receipt, the printed notice and the flows use it. The IUPD of a notice starts
with its creditor's fiscal code, so the platform calls that only know the IUPD reach the right organization.
"""

from dataclasses import dataclass, field

from django.conf import settings

from .models import Creditor, CreditorSchool, PaymentNotice


@dataclass(frozen=True)
class CreditorInfo:
    fiscal_code: str
    name: str
    office: str
    iban: str
    segregation_code: int
    taxonomy: dict[str, str] = field(default_factory=dict)
    creditor_id: int | None = None  # None: the Comune

    def taxonomy_code(self, kind: str) -> str:
        """The taxonomy code of a kind of payment: a service kind for the Comune, an event kind for a school."""
        return self.taxonomy.get(kind, "")


def comune() -> CreditorInfo:
    return CreditorInfo(
        fiscal_code=settings.PAGOPA_CREDITOR_FISCAL_CODE,
        name=settings.PAGOPA_CREDITOR_NAME,
        office=settings.PAGOPA_CREDITOR_OFFICE,
        iban=settings.PAGOPA_CREDITOR_IBAN,
        segregation_code=int(settings.PAGOPA_SEGREGATION_CODE),
        taxonomy=dict(settings.PAGOPA_TAXONOMY),
    )


def creditor_info(creditor: Creditor | None) -> CreditorInfo:
    if creditor is None:
        return comune()
    return CreditorInfo(
        fiscal_code=creditor.fiscal_code,
        name=creditor.name,
        office=creditor.office,
        iban=creditor.iban,
        segregation_code=creditor.segregation_code,
        taxonomy=dict(creditor.taxonomy or {}),
        creditor_id=creditor.pk,
    )


def notice_creditor(notice: PaymentNotice) -> CreditorInfo:
    """The creditor of a notice (reads `notice.creditor`: select it with the notice where many are read)."""
    return creditor_info(notice.creditor if notice.creditor_id else None)


def organizations() -> dict[str, CreditorInfo]:
    """Every organization the portal's station collects for, by fiscal code: the Comune first."""
    found = {settings.PAGOPA_CREDITOR_FISCAL_CODE: comune()}
    for creditor in Creditor.objects.order_by("pk"):
        found.setdefault(creditor.fiscal_code, creditor_info(creditor))
    return found


def segregation_codes() -> set[int]:
    return {info.segregation_code for info in organizations().values()}


def creditor_for_school(school_id: int) -> Creditor | None:
    link = CreditorSchool.objects.select_related("creditor").filter(school_id=school_id).first()
    return link.creditor if link is not None else None


def station_organizations() -> set[str]:
    """The idPA values the station answers for: the Comune's PAGOPA_ID_PA and every school creditor's."""
    return {settings.PAGOPA_ID_PA, *Creditor.objects.values_list("fiscal_code", flat=True)}
