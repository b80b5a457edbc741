"""The safety nets for a receipt whose push was lost: the portal asks the platform itself.

- `receipts_pull` (beat, every hour): the receipts the payments-receipts service holds for the Comune over the last
  PAYMENTS_RECEIPTS_PULL_DAYS days, page by page; the XML of each IUV with no receipt here goes into the one intake
  (`receipt_accept`, channel "pull"). A receipt the portal already processed from this same document is not fetched
  again; one that failed inside the portal is retried on the next run.
- `positions_sweep` (beat, every hour): notices still open here, published more than PAYMENTS_POSITIONS_SWEEP_HOURS
  hours ago, are looked up on GPD; a position PAID or PARTIALLY_PAID there has its paid options' receipts pulled.

A page or a document that cannot be had (the platform down, an answer that is not a receipt) is logged, counted and
left for the next run: nothing is half-credited, the intake applies each receipt in its own transaction.
"""

import datetime
import hashlib
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from .. import gateway as gateway_module
from .. import pagopa
from ..creditors import organizations, station_organizations
from ..gateway import GatewayError, ReceiptFormatError
from ..gateway.receipt_xml import receipt_document_parse
from ..models import PaymentNotice, Receipt, ReceiptMessage
from .receipts import receipt_accept

logger = logging.getLogger(__name__)

INTERNAL_ERROR = "Errore interno"  # the start of the reason the intake stores when it failed (retried)
SWEEP_BATCH = 500  # positions looked up per run, oldest first
PULL_MAX_PAGES = 200  # 20,000 receipts a run: a bound, not an expectation


@dataclass
class PullResult:
    listed: int = 0
    fetched: int = 0
    accepted: int = 0
    already_known: int = 0
    failed: int = 0
    outcomes: dict[int, int] = field(default_factory=dict)


def _processed(digest: str) -> bool:
    """Whether this very document was already taken in (whatever the outcome, but an internal error)."""
    return (
        ReceiptMessage.objects.filter(channel=ReceiptMessage.Channel.PULL, body_sha256=digest)
        .exclude(reason__startswith=INTERNAL_ERROR)
        .exists()
    )


def receipt_pull_one(*, iuv: str, result: PullResult, organization: str = "") -> None:
    """Fetch one IUV's receipt from the platform (of the organization: the Comune by default); hand it to the
    intake."""
    organization = organization or settings.PAGOPA_CREDITOR_FISCAL_CODE
    try:
        content = gateway_module.get_gateway().receipt_document(organization=organization, iuv=iuv)
    except GatewayError as error:
        logger.warning("Receipts pull: IUV %s not fetched: %s", iuv, error)
        result.failed += 1
        return
    if content is None:
        return
    result.fetched += 1
    digest = hashlib.sha256(content).hexdigest()
    if _processed(digest):
        result.already_known += 1
        return
    try:
        request = receipt_document_parse(content)
    except ReceiptFormatError as error:
        logger.warning("Receipts pull: IUV %s: not a receipt (%s)", iuv, error)
        result.failed += 1
        return
    if request.id_pa not in station_organizations():
        logger.warning("Receipts pull: IUV %s belongs to %s, not to the portal's station", iuv, request.id_pa)
        result.failed += 1
        return
    _message, status = receipt_accept(
        parsed=request.receipt, body=content, channel=ReceiptMessage.Channel.PULL, remote_addr=None, signature="pull"
    )
    result.outcomes[status] = result.outcomes.get(status, 0) + 1
    if status == 200:
        result.accepted += 1
    elif status >= 500:
        result.failed += 1


def _known_iuvs(iuvs: list[str]) -> set[str]:
    return set(Receipt.objects.filter(iuv__in=iuvs).values_list("iuv", flat=True))


def receipts_pull(*, days: int | None = None, today: datetime.date | None = None) -> PullResult:
    """Pull the receipts of the last `days` days (PAYMENTS_RECEIPTS_PULL_DAYS) that the portal does not have."""
    today = today or timezone.localdate()
    span = settings.PAYMENTS_RECEIPTS_PULL_DAYS if days is None else days
    date_from = today - datetime.timedelta(days=max(0, span))
    result = PullResult()
    for organization in organizations():  # one station, many organizations: each lists its own receipts
        _pull_organization(organization=organization, date_from=date_from, today=today, result=result)
    logger.info("Receipts pull: %s", result)
    return result


def _pull_organization(
    *, organization: str, date_from: datetime.date, today: datetime.date, result: PullResult
) -> None:
    page = 0
    while page < PULL_MAX_PAGES:
        try:
            listing = gateway_module.get_gateway().receipts_list(
                organization=organization, date_from=date_from, date_to=today, page=page
            )
        except GatewayError as error:
            logger.warning("Receipts pull: page %s not listed: %s", page, error)
            result.failed += 1
            break
        iuvs = [item.iuv for item in listing.items]
        result.listed += len(iuvs)
        known = _known_iuvs(iuvs)
        for iuv in dict.fromkeys(iuvs):
            if iuv not in known:
                receipt_pull_one(iuv=iuv, result=result, organization=organization)
        page += 1
        if page >= listing.total_pages:
            break


@dataclass
class SweepResult:
    looked_up: int = 0
    paid_there: int = 0
    failed: int = 0
    pull: PullResult = field(default_factory=PullResult)


def _open_published(now: datetime.datetime) -> list[PaymentNotice]:
    since = now - datetime.timedelta(hours=settings.PAYMENTS_POSITIONS_SWEEP_HOURS)
    rows = PaymentNotice.objects.filter(
        status__in=[PaymentNotice.Status.ISSUED, PaymentNotice.Status.EXPIRED],
        platform_state=PaymentNotice.PlatformState.VALID,
        created_at__lte=since,
    )
    return list(rows.order_by("created_at", "pk")[:SWEEP_BATCH])


def positions_sweep(*, now: datetime.datetime | None = None) -> SweepResult:
    """Ask GPD about the notices still open here; pull the receipts of those paid there."""
    result = SweepResult()
    for notice in _open_published(now or timezone.now()):
        result.looked_up += 1
        try:
            state = gateway_module.get_gateway().debt_position_get(iupd=notice.iupd)
        except GatewayError as error:
            logger.warning("Positions sweep: %s not looked up: %s", notice.iupd, error)
            result.failed += 1
            continue
        if state.status not in {"PAID", "PARTIALLY_PAID", "REPORTED"}:
            continue
        result.paid_there += 1
        known = _known_iuvs(state.paid_iuvs)
        for iuv in state.paid_iuvs:
            if iuv not in known:
                receipt_pull_one(iuv=iuv, result=result.pull, organization=pagopa.iupd_organization(notice.iupd))
    logger.info("Positions sweep: %s", result)
    return result
