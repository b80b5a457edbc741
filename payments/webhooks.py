"""The one endpoint the platform posts receipts to (HMAC on the raw body here; mutual TLS in production).

The body is read only up to the endpoint's limit (`PAYMENTS_RECEIPT_MAX_BYTES`, a few times the largest receipt):
a longer one is refused with 413 before anything else, and recorded as a refused call (hash and length of what
was read, the declared length, the first kilobyte), like any call that does not prove who sent it.
"""

import hashlib

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.client_ip import client_ip

from . import services
from .models import ReceiptMessage
from .services.intake_refused import REFUSED_HEAD_BYTES
from .services.receipts import FAULT_OF_STATUS


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def _answer(message, status: int) -> JsonResponse:
    if status == 200:
        return JsonResponse({"outcome": "OK"}, status=200)
    description = message.reason if message is not None else "Troppe chiamate rifiutate: riprovare più tardi."
    return JsonResponse(
        {"outcome": "KO", "fault": FAULT_OF_STATUS.get(status, "PAA_SYSTEM_ERROR"), "description": description},
        status=status,
    )


def body_read_limited(request: HttpRequest, *, channel: str) -> tuple[bytes | None, ReceiptMessage | None, int]:
    """The body, read up to PAYMENTS_RECEIPT_MAX_BYTES; (None, the refused call's record, 413 or 429) past it, having
    read no more than its first kilobyte."""
    limit = settings.PAYMENTS_RECEIPT_MAX_BYTES
    declared = _declared_length(request)
    body = request.read(limit + 1) if declared is None or declared <= limit else request.read(REFUSED_HEAD_BYTES)
    if (declared is None or declared <= limit) and len(body) <= limit:
        return body, None, 200
    length = max(declared or 0, len(body))
    message, status = services.receipt_intake_refuse(
        head=body,
        length=length,
        sha256=hashlib.sha256(body).hexdigest(),
        headers=dict(request.headers),
        remote_addr=client_ip(request),
        reason=f"Contenuto troppo grande: {length} byte, al massimo {limit}",
        refusal=ReceiptMessage.Refusal.TOO_LARGE,
        status=413,
        channel=channel,
    )
    return None, message, status


@csrf_exempt
@require_POST
def receipt_intake(request: HttpRequest) -> JsonResponse:
    """Answer {"outcome": "OK"} (200) or {"outcome": "KO", "fault": code, "description": why} with the status."""
    body, refused, status = body_read_limited(request, channel=ReceiptMessage.Channel.JSON)
    if body is None:
        return _answer(refused, status)
    message, status = services.receipt_intake(body=body, headers=dict(request.headers), remote_addr=client_ip(request))
    return _answer(message, status)
