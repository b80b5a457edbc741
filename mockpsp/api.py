"""The fake platform's REST API (what HttpGateway calls): GPD v1, Checkout EC v2 carts, receipt pull.

Every call needs the `Ocp-Apim-Subscription-Key` header (401 otherwise, as API Management answers). Errors are
ProblemJson with a pagoPA-like `faultCode`.
"""

import datetime
import hmac
import json
import re
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from payments.pagopa import CREDITOR_FISCAL_CODE_PATTERN, ROME

from . import faults, services
from .delivery import station_ids
from .faults import MockFaultError
from .models import DebtPosition, Receipt
from .payloads import position_json
from .receipt_xml import pa_send_rt_v2_document

MAX_LIMIT = 50


def _problem(error: MockFaultError) -> JsonResponse:
    return JsonResponse(error.as_json(), status=error.status)


def api_endpoint(*methods: str) -> Callable:
    """CSRF-exempt JSON endpoint: subscription key, allowed methods, organization CF, faults → ProblemJson."""

    def decorator(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            given = request.headers.get("Ocp-Apim-Subscription-Key", "")
            expected = settings.PAGOPA_SUBSCRIPTION_KEY
            if not given or not expected or not hmac.compare_digest(given.encode(), expected.encode()):
                return JsonResponse(
                    {
                        "statusCode": 401,
                        "message": "Access denied due to missing or invalid subscription key. "
                        "Make sure to include subscription key when making requests to an API.",
                    },
                    status=401,
                )
            if request.method not in methods:
                response = JsonResponse({"status": 405, "title": "Method Not Allowed"}, status=405)
                response["Allow"] = ", ".join(methods)
                return response
            organization = kwargs.get("cf")
            if organization is not None and not CREDITOR_FISCAL_CODE_PATTERN.match(organization):
                return _problem(faults.bad_request("organizationfiscalcode: 11 digits"))
            try:
                return view(request, *args, **kwargs)
            except MockFaultError as error:
                return _problem(error)

        return wrapper

    return decorator


def _body(request: HttpRequest) -> object:
    try:
        return json.loads(request.body.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError) as error:
        raise faults.bad_request("body: not JSON") from error


def _flag(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name, "false").lower() == "true"


@api_endpoint("GET", "POST")
def debt_positions(request: HttpRequest, cf: str) -> HttpResponse:
    """POST: create (toPublish=true publishes it); GET: list, paged (page from 0, limit ≤ 50), by status."""
    if request.method == "POST":
        position = services.position_create(organization=cf, data=_body(request), publish=_flag(request, "toPublish"))
        return JsonResponse(position_json(position), status=201)
    try:
        page_number = int(request.GET.get("page", "0"))
        limit = int(request.GET.get("limit", "10"))
    except ValueError as error:
        raise faults.bad_request("page and limit: integers") from error
    if page_number < 0 or not 1 <= limit <= MAX_LIMIT:
        raise faults.bad_request(f"limit: 1 to {MAX_LIMIT}; page: from 0")
    positions = DebtPosition.objects.filter(organization_fiscal_code=cf).prefetch_related("options")
    status = request.GET.get("status")
    if status:
        if status not in DebtPosition.Status.values:
            raise faults.bad_request("status: not a position status")
        positions = positions.filter(status=status)
    if request.GET.get("due_date_from"):
        positions = positions.filter(options__due_date__gte=request.GET["due_date_from"][:10]).distinct()
    if request.GET.get("due_date_to"):
        positions = positions.filter(options__due_date__lte=request.GET["due_date_to"][:10]).distinct()
    paginator = Paginator(positions.order_by("pk"), limit)
    rows = paginator.page(page_number + 1).object_list if page_number < paginator.num_pages else []
    return JsonResponse(
        {
            "payment_position_list": [position_json(position) for position in rows],
            "page_info": {
                "page": page_number,
                "limit": limit,
                "items_found": len(rows),
                "total_pages": paginator.num_pages,
            },
        }
    )


@api_endpoint("GET", "PUT", "DELETE")
def debt_position(request: HttpRequest, cf: str, iupd: str) -> HttpResponse:
    if request.method == "PUT":
        position = services.position_update(organization=cf, iupd=iupd, data=_body(request))
    elif request.method == "DELETE":
        services.position_delete(organization=cf, iupd=iupd)
        return JsonResponse("OK", safe=False)
    else:
        position = services.position_get(organization=cf, iupd=iupd)
    return JsonResponse(position_json(position))


@api_endpoint("POST")
def debt_position_publish(request: HttpRequest, cf: str, iupd: str) -> HttpResponse:
    return JsonResponse(position_json(services.position_publish(organization=cf, iupd=iupd)))


@api_endpoint("POST")
def debt_position_invalidate(request: HttpRequest, cf: str, iupd: str) -> HttpResponse:
    return JsonResponse(position_json(services.position_invalidate(organization=cf, iupd=iupd)))


@api_endpoint("POST")
def payment_option_paid(request: HttpRequest, cf: str, nav: str) -> HttpResponse:
    option = services.option_mark_paid_offline(organization=cf, nav=nav)
    return JsonResponse({"iuv": option.iuv, "nav": option.nav, "status": option.status})


@api_endpoint("POST")
def checkout_carts(request: HttpRequest) -> HttpResponse:
    """POST /checkout/ec/v2/carts → 302 to the checkout page of the new cart."""
    checkout = services.checkout_create(data=_body(request))
    response = HttpResponse(status=302)
    response["Location"] = request.build_absolute_uri(reverse("mockpsp:checkout", args=[checkout.token]))
    return response


RECEIPTS_WINDOW_MONTHS = 3  # the service's PAYMENTS_RECEIPTS_MONTHS_WINDOW default: no dates ⇒ the last 3 months
RECEIPTS_PAGE_MAX = 100
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def _int_param(request: HttpRequest, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
    text = request.GET.get(name, "")
    if text == "":
        return default
    if not text.isdigit() or int(text) < minimum or (maximum is not None and int(text) > maximum):
        raise faults.bad_request(f"{name}: an integer from {minimum}" + (f" to {maximum}" if maximum else ""))
    return int(text)


def _when_param(request: HttpRequest, name: str, *, end: bool) -> datetime.datetime | None:
    """yyyy-MM-dd (the whole day) or yyyy-MM-dd'T'HH:mm:ss, Italian time, as the receipts service reads them."""
    text = request.GET.get(name, "")
    if not text:
        return None
    try:
        if _DAY.match(text):
            day = datetime.date.fromisoformat(text)
            return datetime.datetime.combine(day, datetime.time.max if end else datetime.time.min, ROME)
        if _DAY_TIME.match(text):
            return datetime.datetime.fromisoformat(text).replace(tzinfo=ROME)
    except ValueError:
        pass
    raise faults.bad_request(f"{name}: yyyy-MM-dd or yyyy-MM-dd'T'HH:mm:ss")


@api_endpoint("GET")
def payment_receipts(request: HttpRequest, cf: str) -> HttpResponse:
    """GET /payments/{cf}/receipts: the receipts of the creditor's paid options, paged (pageNum from 0, pageSize up
    to 100), between `from` and `to` (neither: the last 3 months; one: the window completes the other); 404 when
    none."""
    page_num = _int_param(request, "pageNum", 0, minimum=0)
    page_size = _int_param(request, "pageSize", 20, minimum=1, maximum=RECEIPTS_PAGE_MAX)
    date_from = _when_param(request, "from", end=False)
    date_to = _when_param(request, "to", end=True)
    window = datetime.timedelta(days=31 * RECEIPTS_WINDOW_MONTHS)
    if date_from is None:
        date_from = (date_to or timezone.now()) - window
    if date_to is None:
        date_to = max(date_from + window, timezone.now())
    if date_from > date_to:
        raise faults.bad_request("from: after to")
    rows = (
        Receipt.objects.filter(
            option__position__organization_fiscal_code=cf, created_at__gte=date_from, created_at__lte=date_to
        )
        .select_related("option__position")
        .order_by("created_at", "pk")
    )
    paginator = Paginator(rows, page_size)
    if paginator.count == 0 or page_num >= paginator.num_pages:
        raise faults.unknown("no receipts found")
    results = [
        {
            "organizationFiscalCode": cf,
            "iuv": receipt.option.iuv,
            "debtor": receipt.option.position.payer_fiscal_code,
            "paymentDateTime": receipt.body.get("paymentDateTime"),
            "status": receipt.option.status,
        }
        for receipt in paginator.page(page_num + 1)
    ]
    body = {"currentPageNumber": page_num, "length": len(results), "totalPages": paginator.num_pages}
    return JsonResponse(body | {"results": results})


@api_endpoint("GET")
def payment_receipt(request: HttpRequest, cf: str, iuv: str) -> HttpResponse:
    """GET /payments/{cf}/receipts/{iuv}: the paSendRTV2 request of the option's receipt, as XML (root
    PaSendRTV2Request in no namespace), as the real service returns it; 404 ProblemJson when there is none."""
    receipt = (
        Receipt.objects.filter(option__iuv=iuv, option__position__organization_fiscal_code=cf)
        .order_by("-created_at", "-pk")
        .first()
    )
    if receipt is None:
        raise faults.unknown(f"no receipt for iuv {iuv}")
    document = pa_send_rt_v2_document(receipt.body, **station_ids(receipt))
    return HttpResponse(document, content_type="application/xml")
