"""The Comune's station endpoint: the Nodo posts `paSendRTV2` (SOAP 1.1) here; the answer is a paSendRTV2Response.

Mutual TLS ends at the reverse proxy (see the README, "Stazione pagoPA"); the logic is in
payments.services.station. The body is read up to PAYMENTS_RECEIPT_MAX_BYTES, like the JSON intake's.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.client_ip import client_ip

from . import services
from .gateway.receipt_xml import pa_send_rt_v2_response
from .models import ReceiptMessage
from .services.station import FAULT_STRINGS
from .webhooks import body_read_limited

SOAP_CONTENT_TYPE = "text/xml; charset=utf-8"


def _soap(body: bytes, status: int) -> HttpResponse:
    return HttpResponse(body, status=status, content_type=SOAP_CONTENT_TYPE)


@csrf_exempt
@require_POST
def pagopa_station(request: HttpRequest) -> HttpResponse:
    body, _refused, status = body_read_limited(request, channel=ReceiptMessage.Channel.SOAP)
    if body is None:
        fault = "PAA_SYSTEM_ERROR"
        answer = pa_send_rt_v2_response(
            outcome="KO", fault_code=fault, fault_string=FAULT_STRINGS[fault], description="Contenuto troppo grande"
        )
        return _soap(answer, status)
    result = services.station_receipt_intake(body=body, headers=dict(request.headers), remote_addr=client_ip(request))
    return _soap(result.body, result.status)
