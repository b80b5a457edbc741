"""The fake IO's API (base …/mockio/api/v1): POST /profiles, POST /messages, GET /messages/{fiscal_code}/{id}."""

import json
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import services
from .models import Message

KEY_HEADER = "Ocp-Apim-Subscription-Key"


def _problem(refusal: services.Refusal) -> JsonResponse:
    response = JsonResponse(
        {"type": "about:blank", "title": refusal.title, "status": refusal.status, "detail": refusal.detail},
        status=refusal.status,
        content_type="application/problem+json",
    )
    if refusal.status == 429:
        response["x-rate-limit-retry-after"] = "5"
    return response


def endpoint(method: str) -> Callable:
    """Key check (401 APIM-shaped, not ProblemJson), method, outage and throttling, JSON body, refusals."""

    def decorator(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            service = services.service_of_key(request.headers.get(KEY_HEADER, ""))
            if service is None:
                return JsonResponse(
                    {"statusCode": 401, "message": "Access denied due to invalid subscription key."}, status=401
                )
            if request.method != method:
                return JsonResponse({"statusCode": 404, "message": "Resource not found"}, status=404)
            try:
                services.behaviour_check()
                body = json.loads(request.body or b"null") if method == "POST" else None
                return view(request, service, body, *args, **kwargs)
            except ValueError:
                return _problem(services.Refusal(400, "Invalid JSON", "body: not JSON"))
            except services.Refusal as refusal:
                return _problem(refusal)

        return wrapper

    return decorator


@endpoint("POST")
def profiles(request: HttpRequest, service: str, body: object) -> HttpResponse:
    return JsonResponse(services.profile_for(service=service, body=body))


@endpoint("POST")
def messages(request: HttpRequest, service: str, body: object) -> HttpResponse:
    message = services.message_create(service=service, body=body)
    response = JsonResponse({"id": message.id}, status=201)
    response["Location"] = f"{request.build_absolute_uri('./')}{message.fiscal_code}/{message.id}"
    return response


@endpoint("GET")
def message(request: HttpRequest, service: str, body: object, fiscal_code: str, message_id: str) -> HttpResponse:
    found = Message.objects.filter(pk=message_id, fiscal_code=fiscal_code.upper(), service=service).first()
    if found is None:
        return _problem(services.Refusal(404, "Message not found"))
    return JsonResponse(
        {
            "message": {"id": found.id, "fiscal_code": found.fiscal_code, "content": found.content},
            "status": found.status,
        }
    )
