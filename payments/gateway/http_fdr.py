"""The client's calls to the FdR service for organizations (`pagopa/pagopa-api` openapi/fdr_organization.json;
tests/contracts/fdr_organization.schema.json): the published flows, one flow's header, its payments page by page.

A page of payments is read as it arrives (ijson over the HTTP stream): a flow of 100,000 payments never sits in memory.
Mixed into HttpGateway, which provides `_send`, `_client` settings and the endpoints.
"""

import datetime
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, Protocol

import httpx
import ijson

from portal.http_transport import tls_context

from ..pagopa import ROME
from .base import FdrListing, FdrPayment, GatewayRejectedError, GatewayUnavailableError

SUBSCRIPTION_HEADER = "Ocp-Apim-Subscription-Key"
LIST_PAGE_SIZE = 1000  # the service's maximum
PAYMENTS_PAGE_SIZE = 1000


class _Client(Protocol):
    fdr_url: str
    fdr_key: str
    timeout: float
    transport: httpx.BaseTransport | None

    def _send(
        self, method: str, url: str, *, key: str, accept: str = ..., **kwargs: Any
    ) -> tuple[httpx.Response, int]: ...

    @staticmethod
    def _json_or_reject(response: httpx.Response, *, ok: set[int]) -> dict: ...


def instant(text: object) -> datetime.datetime | None:
    """An FdR Instant (ISO date-time, "Z" or an offset; none: Italian time) → an aware datetime."""
    if not text:
        return None
    value = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=ROME)


class _StreamReader:
    """A file-like `read()` over an httpx response's byte chunks, for ijson."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, b"")
            if not chunk:
                break
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def _payment(row: dict) -> FdrPayment:
    return FdrPayment(
        index=int(row.get("index") or 0),
        iuv=str(row.get("iuv") or ""),
        iur=str(row.get("iur") or ""),
        id_transfer=int(row.get("idTransfer") or 1),
        amount=Decimal(str(row.get("pay") or "0")),
        pay_date=instant(row.get("payDate")),
        pay_status=str(row.get("payStatus") or ""),
    )


def _payments_read(response: httpx.Response, sink: Callable) -> int:
    if response.status_code == 404:
        return 0
    if response.status_code >= 500:
        raise GatewayUnavailableError(f"FdR: HTTP {response.status_code}")
    if response.status_code != 200:
        response.read()
        raise GatewayRejectedError(f"FdR: HTTP {response.status_code}", status=response.status_code)
    count = 0
    for row in ijson.items(_StreamReader(response.iter_bytes()), "data.item", use_float=False):
        sink(_payment(row))
        count += 1
    return count


class FdrServiceMixin:
    """GET /organizations/{id}/fdrs, …/fdrs/{fdr}/revisions/{rev}/psps/{psp} and its /payments."""

    def fdr_list(
        self: _Client, *, organization: str, published_after: datetime.datetime | None, page: int
    ) -> FdrListing:
        """One page (from 1) of the flows published for the organization after the instant given."""
        params: dict[str, str] = {"page": str(page), "size": str(LIST_PAGE_SIZE)}
        if published_after is not None:
            params["publishedGt"] = published_after.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        response, _attempts = self._send(
            "GET", f"{self.fdr_url}/organizations/{organization}/fdrs", key=self.fdr_key, params=params
        )
        if response.status_code == 404:
            return FdrListing(flows=[], total_pages=0)
        data = self._json_or_reject(response, ok={200})
        flows = [row for row in data.get("data") or [] if isinstance(row, dict) and row.get("fdr")]
        return FdrListing(flows=flows, total_pages=int((data.get("metadata") or {}).get("totPage") or 0))

    def fdr_flow(self: _Client, *, organization: str, fdr: str, revision: int, psp_id: str) -> dict:
        """The flow's header: regulation, dates, sender and receiver, declared totals."""
        url = f"{self.fdr_url}/organizations/{organization}/fdrs/{fdr}/revisions/{revision}/psps/{psp_id}"
        response, _attempts = self._send("GET", url, key=self.fdr_key)
        return self._json_or_reject(response, ok={200})

    def fdr_payments(
        self: _Client, *, organization: str, fdr: str, revision: int, psp_id: str, page: int, sink: Callable
    ) -> int:
        """Stream one page (from 1) of the flow's payments into `sink(FdrPayment)`; returns how many were read."""
        url = f"{self.fdr_url}/organizations/{organization}/fdrs/{fdr}/revisions/{revision}/psps/{psp_id}/payments"
        headers = {SUBSCRIPTION_HEADER: self.fdr_key, "Accept": "application/json"}
        params = {"page": str(page), "size": str(PAYMENTS_PAGE_SIZE)}
        try:
            with (
                httpx.Client(transport=self.transport, verify=tls_context(), timeout=self.timeout) as client,
                client.stream("GET", url, headers=headers, params=params) as response,
            ):
                return _payments_read(response, sink)
        except httpx.TransportError as error:
            raise GatewayUnavailableError(f"FdR non risponde ({type(error).__name__})") from error
        except ijson.JSONError as error:
            raise GatewayRejectedError(f"FdR: risposta non leggibile ({error})", status=502) from error
