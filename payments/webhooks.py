"""The one endpoint the platform posts receipts to (HMAC on the raw body here; mutual TLS in production)."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.client_ip import client_ip

from . import services
from .services.receipts import FAULT_OF_STATUS


@csrf_exempt
@require_POST
def receipt_intake(request: HttpRequest) -> JsonResponse:
    """Answer {"outcome": "OK"} (200) or {"outcome": "KO", "fault": code, "description": why} with the status."""
    message, status = services.receipt_intake(
        body=request.body, headers=dict(request.headers), remote_addr=client_ip(request)
    )
    if status == 200:
        return JsonResponse({"outcome": "OK"}, status=200)
    return JsonResponse(
        {
            "outcome": "KO",
            "fault": FAULT_OF_STATUS.get(status, "PAA_SYSTEM_ERROR"),
            "description": message.reason,
        },
        status=status,
    )
