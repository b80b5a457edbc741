"""The Comune's station on the Nodo: `paSendRTV2` (SOAP), the real platform's way of delivering a receipt.

Who calls is proven by mutual TLS at the reverse proxy, which writes the verified client certificate's subject in a
header (settings.PAGOPA_STATION_CLIENT_CERT_HEADER); the subject must be on the allow-list. Then the envelope is
parsed (hardened, schema-validated), the station's identifiers are checked, and the receipt goes into the one intake
(`receipt_accept`), like the receipts of every other channel.

The answer is always a `paSendRTV2Response` in HTTP 200 — OK, or KO with the creditor's fault code (pagoPA's
"Gestione degli errori", Nodo → EC) and the Comune's CF in `fault/id` — except:
- a caller without an allowed certificate: 403 (it is not the Nodo), recorded as a refused call and rate limited;
- a failure to store or apply: 500, so that the Nodo puts the receipt in its queue and sends it again.

A receipt sent again (same receiptId) is answered OK and credits nothing (idempotent). A receipt for a notice number
of this portal's own segregation code that the portal does not know is KO PAA_PAGAMENTO_SCONOSCIUTO; one of another
segregation code (another system of the Comune: broadcast stations receive those too) is answered OK and kept,
rejected, for the office to see — a KO would only put the copy in the Nodo's retry queue.
"""

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings

from ..creditors import segregation_codes, station_organizations
from ..gateway import ReceiptFormatError
from ..gateway.receipt_xml import Refusal, StationReceipt, pa_send_rt_v2_envelope_parse, pa_send_rt_v2_response
from ..models import ReceiptMessage
from .intake_refused import REFUSED_HEAD_BYTES, receipt_intake_refuse
from .receipts import receipt_accept, receipt_message_store

logger = logging.getLogger(__name__)

# faultCode → faultString, as pagoPA's tables give them for the creditor ("Dominio EC").
FAULT_STRINGS = {
    "PAA_SINTASSI_XSD": "Errore di sintassi XSD",
    "PAA_SINTASSI_EXTRAXSD": "Errore di sintassi extra XSD",
    "PAA_ID_DOMINIO_ERRATO": "La PAA non corrisponde al Dominio indicato",
    "PAA_ID_INTERMEDIARIO_ERRATO": "Identificativo intermediario non corrispondente",
    "PAA_STAZIONE_INT_ERRATA": "Stazione intermediario non corrispondente",
    "PAA_RECEIPT_DUPLICATA": "Ricevuta duplicata",
    "PAA_PAGAMENTO_SCONOSCIUTO": "Pagamento in attesa risulta sconosciuto all'Ente Creditore",
    "PAA_SEMANTICA": "Errore semantico",
    "PAA_SYSTEM_ERROR": "Errore generico",
}
# The intake's status → the fault answered (200 is OK; 404 is decided per notice number, see below).
FAULT_OF_STATUS = {409: "PAA_RECEIPT_DUPLICATA", 422: "PAA_SEMANTICA", 400: "PAA_SINTASSI_EXTRAXSD"}
SYNTAX_FAULTS = {
    Refusal.MALFORMED: "PAA_SINTASSI_XSD",
    Refusal.DOCTYPE: "PAA_SINTASSI_XSD",
    Refusal.SCHEMA: "PAA_SINTASSI_XSD",
}


@dataclass(frozen=True)
class StationAnswer:
    body: bytes
    status: int
    message: ReceiptMessage | None


def _answer(
    *, fault: str = "", description: str = "", status: int = 200, message: ReceiptMessage | None = None
) -> StationAnswer:
    if not fault:
        return StationAnswer(pa_send_rt_v2_response(outcome="OK"), status, message)
    body = pa_send_rt_v2_response(
        outcome="KO",
        fault_code=fault,
        fault_string=FAULT_STRINGS[fault],
        fault_id=settings.PAGOPA_CREDITOR_FISCAL_CODE,
        description=description[:300],
    )
    return StationAnswer(body, status, message)


def station_client_subject(headers: Mapping[str, str]) -> str:
    """The subject of the client certificate the proxy verified ("" when none, or when no proxy is declared: a header
    that did not come through the proxy proves nothing)."""
    if not (settings.ALLAUTH_TRUSTED_PROXY_COUNT or settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER):
        return ""
    wanted = settings.PAGOPA_STATION_CLIENT_CERT_HEADER.lower()
    return next((str(value).strip() for key, value in headers.items() if str(key).lower() == wanted), "")


def station_stations() -> list[str]:
    """The station ids this portal answers for (PAGOPA_ID_STATION, comma-separated)."""
    return [item.strip() for item in settings.PAGOPA_ID_STATION.split(",") if item.strip()]


def _refuse(
    body: bytes, *, headers: Mapping[str, str], remote_addr: str | None, reason: str, refusal: str, status: int
) -> tuple[ReceiptMessage | None, int]:
    return receipt_intake_refuse(
        head=body[:REFUSED_HEAD_BYTES],
        length=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
        headers=headers,
        remote_addr=remote_addr,
        reason=reason,
        refusal=refusal,
        status=status,
        channel=ReceiptMessage.Channel.SOAP,
    )


def station_receipt_intake(*, body: bytes, headers: Mapping[str, str], remote_addr: str | None) -> StationAnswer:
    """Handle one paSendRTV2 call whose body was read within the size limit."""
    subject = station_client_subject(headers)
    if settings.PAGOPA_STATION_REQUIRE_CLIENT_CERT and subject not in settings.PAGOPA_STATION_CLIENT_SUBJECTS:
        reason = f"Certificato client mancante o non ammesso: {subject[:120] or 'nessuno'}"
        refusal = ReceiptMessage.Refusal.CLIENT_CERT
        message, status = _refuse(
            body, headers=headers, remote_addr=remote_addr, reason=reason, refusal=refusal, status=403
        )
        description = "Chiamante non autorizzato"
        return _answer(fault="PAA_SYSTEM_ERROR", description=description, status=status, message=message)
    try:
        request = pa_send_rt_v2_envelope_parse(body)
    except ReceiptFormatError as error:
        message, status = _refuse(
            body,
            headers=headers,
            remote_addr=remote_addr,
            reason=f"Non è una paSendRTV2 valida: {error}",
            refusal=error.refusal,
            status=400,
        )
        fault = SYNTAX_FAULTS.get(error.refusal, "PAA_SINTASSI_EXTRAXSD")
        return _answer(fault=fault, description=str(error), status=200 if status == 400 else status, message=message)
    mismatch = _station_mismatch(request)
    if mismatch:
        fault, reason = mismatch
        message = receipt_message_store(
            body=body, channel=ReceiptMessage.Channel.SOAP, remote_addr=remote_addr, signature=subject, reason=reason
        )
        return _answer(fault=fault, description=reason, message=message)
    message, status = receipt_accept(
        parsed=request.receipt,
        body=body,
        channel=ReceiptMessage.Channel.SOAP,
        remote_addr=remote_addr,
        signature=subject,
    )
    return _station_answer(request=request, message=message, status=status)


def _station_mismatch(request: StationReceipt) -> tuple[str, str] | None:
    if request.id_pa not in station_organizations():
        return "PAA_ID_DOMINIO_ERRATO", f"idPA {request.id_pa} non è un ente della stazione del portale"
    if request.id_broker_pa != settings.PAGOPA_ID_BROKER_PA:
        expected = settings.PAGOPA_ID_BROKER_PA
        return "PAA_ID_INTERMEDIARIO_ERRATO", f"idBrokerPA {request.id_broker_pa} diverso da {expected}"
    if request.id_station not in station_stations():
        return "PAA_STAZIONE_INT_ERRATA", f"idStation {request.id_station} non è una stazione del portale"
    return None


def _ours(notice_number: str) -> bool:
    """Whether a notice number is of this portal's own series (aux digit 3 + its segregation code)."""
    series = {f"{settings.PAGOPA_AUX_DIGIT}{code:02d}" for code in segregation_codes()}
    return notice_number[:3] in series


def _station_answer(*, request: StationReceipt, message: ReceiptMessage, status: int) -> StationAnswer:
    if status == 200:
        return _answer(message=message)
    if status >= 500:
        return _answer(fault="PAA_SYSTEM_ERROR", description=message.reason, status=500, message=message)
    if status == 404:
        if _ours(request.receipt.notice_number):
            return _answer(fault="PAA_PAGAMENTO_SCONOSCIUTO", description=message.reason, message=message)
        logger.warning("Receipt %s for a notice of another system: kept", request.receipt.receipt_id)
        return _answer(message=message)
    return _answer(fault=FAULT_OF_STATUS.get(status, "PAA_SEMANTICA"), description=message.reason, message=message)
