"""The fake's FdR service for organizations (fdr_organization.json): the published flows, a flow, its payments.

Same subscription-key check as the rest of the fake's API; errors in the service's ErrorResponse shape."""

import datetime

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse

from payments.pagopa import ROME

from . import fdr as flows
from .api import api_endpoint

LIST_SIZE_MAX = 1000


class _BadRequest(Exception):
    pass


def _error(status: int, message: str) -> JsonResponse:
    descriptions = {400: "Bad Request", 404: "Not Found"}
    body = {
        "httpStatusCode": status,
        "httpStatusDescription": descriptions.get(status, "Error"),
        "appErrorCode": f"FDR-{status:04d}",
        "errors": [{"message": message}],
    }
    return JsonResponse(body, status=status)


def _int(request: HttpRequest, name: str, default: int, *, maximum: int | None = None) -> int:
    text = request.GET.get(name, "")
    if not text:
        return default
    if not text.isdigit() or int(text) < 1 or (maximum is not None and int(text) > maximum):
        raise _BadRequest(f"{name}: an integer from 1" + (f" to {maximum}" if maximum else ""))
    return int(text)


def _instant(request: HttpRequest, name: str) -> datetime.datetime | None:
    text = request.GET.get(name, "")
    if not text:
        return None
    try:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise _BadRequest(f"{name}: yyyy-MM-dd'T'HH:mm:ss") from error
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def _page(items: list, page: int, size: int) -> tuple[list, dict]:
    paginator = Paginator(items, size)
    rows = list(paginator.page(page)) if page <= paginator.num_pages else []
    return rows, {"pageSize": size, "pageNumber": page, "totPage": paginator.num_pages}


@api_endpoint("GET")
def fdr_list(request: HttpRequest, cf: str) -> HttpResponse:
    """GET /organizations/{organizationId}/fdrs: flows published after `publishedGt` (default: from the start of the
    previous month), optionally of one PSP, paged (page from 1, size up to 1000)."""
    try:
        page = _int(request, "page", 1)
        size = _int(request, "size", LIST_SIZE_MAX, maximum=LIST_SIZE_MAX)
        after = _instant(request, "publishedGt")
        _instant(request, "flowDate")
    except _BadRequest as error:
        return _error(400, str(error))
    if after is None:
        first = datetime.datetime.now(ROME).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        after = (first - datetime.timedelta(days=1)).replace(day=1)
    psp_id = request.GET.get("pspId", "")
    flows.flows_mark_reported(organization=cf)
    published = [
        f for f in flows.flows_for(organization=cf) if f.published > after and (not psp_id or f.psp_id == psp_id)
    ]
    rows, metadata = _page(published, page, size)
    data = [
        {
            "fdr": f.fdr,
            "pspId": f.psp_id,
            "revision": f.revision,
            "published": f.published.isoformat(),
            "flowDate": f.published.isoformat(),
        }
        for f in rows
    ]
    return JsonResponse({"metadata": metadata, "count": len(data), "data": data})


def _flow_or_404(cf: str, fdr: str, revision: int, psp_id: str) -> flows.Flow | None:
    flow = flows.flow_get(organization=cf, fdr=fdr, psp_id=psp_id)
    return flow if flow is not None and flow.revision == revision else None


@api_endpoint("GET")
def fdr_flow(request: HttpRequest, cf: str, fdr: str, revision: int, psp_id: str) -> HttpResponse:
    """GET …/fdrs/{fdr}/revisions/{revision}/psps/{pspId}: the flow's header."""
    flow = _flow_or_404(cf, fdr, revision, psp_id)
    if flow is None:
        return _error(404, f"Reporting flow [{fdr}] revision [{revision}] not found")
    return JsonResponse(flows.flow_header(flow))


@api_endpoint("GET")
def fdr_payments(request: HttpRequest, cf: str, fdr: str, revision: int, psp_id: str) -> HttpResponse:
    """GET …/fdrs/{fdr}/revisions/{revision}/psps/{pspId}/payments: the flow's payments, paged."""
    try:
        page = _int(request, "page", 1)
        size = _int(request, "size", 1000)
    except _BadRequest as error:
        return _error(400, str(error))
    flow = _flow_or_404(cf, fdr, revision, psp_id)
    if flow is None:
        return _error(404, f"Reporting flow [{fdr}] revision [{revision}] not found")
    rows, metadata = _page(list(flows.flow_payments(flow)), page, size)
    return JsonResponse({"metadata": metadata, "count": len(rows), "data": rows})
