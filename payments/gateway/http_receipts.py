"""The client's calls that recover receipts: the GPD payments-receipts service (paged list, one receipt's XML) and
the debt position's detail (its options' states), as `pagopa/pagopa-api` openapi/gpd_payments.json and gpd.json
publish them (tests/contracts/gpd_receipts.schema.json).

Mixed into HttpGateway, which provides `_send`, `_gpd`, `_json_or_reject` and the endpoints.
"""

import datetime
from typing import Any, Protocol

import httpx

from .base import GatewayRejectedError, PositionState, ReceiptListing, ReceiptsPage

PAGE_SIZE = 100  # the service's maximum


class _Client(Protocol):
    receipts_url: str
    receipts_key: str

    def _send(
        self, method: str, url: str, *, key: str, accept: str = ..., **kwargs: Any
    ) -> tuple[httpx.Response, int]: ...

    def _gpd(self, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, int]: ...

    @staticmethod
    def _json_or_reject(response: httpx.Response, *, ok: set[int]) -> dict: ...


class ReceiptsServiceMixin:
    """GET /payments/{cf}/receipts (paged), GET /payments/{cf}/receipts/{iuv}, GET …/debtpositions/{iupd}."""

    def receipts_list(
        self: _Client, *, organization: str, date_from: datetime.date, date_to: datetime.date, page: int
    ) -> ReceiptsPage:
        """One page (from 0) of the receipts paid between the two days (both included); none is an empty page (the
        service answers 404 when nothing matches)."""
        params = {
            "pageNum": str(page),
            "pageSize": str(PAGE_SIZE),
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
        }
        response, _attempts = self._send(
            "GET", f"{self.receipts_url}/payments/{organization}/receipts", key=self.receipts_key, params=params
        )
        if response.status_code == 404:
            return ReceiptsPage(items=[], total_pages=0)
        data = self._json_or_reject(response, ok={200})
        items = [
            ReceiptListing(iuv=str(row.get("iuv") or ""), paid_at=str(row.get("paymentDateTime") or ""))
            for row in data.get("results") or []
            if isinstance(row, dict) and row.get("iuv")
        ]
        return ReceiptsPage(items=items, total_pages=int(data.get("totalPages") or 0))

    def receipt_document(self: _Client, *, organization: str, iuv: str) -> bytes | None:
        """The receipt of one IUV as the service keeps it (XML, root PaSendRTV2Request); None when it has none."""
        response, _attempts = self._send(
            "GET",
            f"{self.receipts_url}/payments/{organization}/receipts/{iuv}",
            key=self.receipts_key,
            accept="application/xml, application/json",
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise GatewayRejectedError(f"HTTP {response.status_code}", status=response.status_code)
        return response.content

    def debt_position_get(self: _Client, *, iupd: str) -> PositionState:
        """The position's status and the IUVs of its paid options."""
        response, _attempts = self._gpd("GET", f"/{iupd}")
        data = self._json_or_reject(response, ok={200})
        options = [option for option in data.get("paymentOption") or [] if isinstance(option, dict)]
        return PositionState(
            status=str(data.get("status") or ""),
            paid_iuvs=[str(o.get("iuv")) for o in options if o.get("status") != "PO_UNPAID" and o.get("iuv")],
        )
