"""The fake platform's REST API (what HttpGateway calls): GPD v1, Checkout EC v2 carts, receipt pull.

Every call needs the `Ocp-Apim-Subscription-Key` header (401 otherwise, as API Management answers). Errors are
ProblemJson with a pagoPA-like `faultCode`.
"""

import hmac
import json
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from payments.pagopa import CREDITOR_FISCAL_CODE_PATTERN

from . import faults, services
from .faults import MockFaultError
from .models import DebtPosition, Receipt
from .payloads import position_json

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


@api_endpoint("GET")
def payment_receipt(request: HttpRequest, cf: str, iuv: str) -> HttpResponse:
    """GET /payments/{cf}/receipts/{iuv}: the receipt of a paid option (JSON here, XML on the real platform)."""
    receipt = (
        Receipt.objects.filter(option__iuv=iuv, option__position__organization_fiscal_code=cf)
        .order_by("-created_at", "-pk")
        .first()
    )
    if receipt is None:
        raise faults.unknown(f"no receipt for iuv {iuv}")
    return JsonResponse(receipt.body)
