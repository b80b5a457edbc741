"""paSendRTV2 on the wire: the SOAP call the Nodo sends to the Comune's station, the same request as the receipts
service returns it for pull, and the station's answer.

Parsing is hardened: a DOCTYPE or an entity declaration is refused before anything is parsed (and again if the
parser saw one in another encoding), entities are never resolved, nothing is fetched from the network, no huge
trees. What is parsed is validated against the schema of the messages (`payments/contracts/pa_send_rt_v2.xsd`,
written from pagoPA's published XSD; tests/contracts/ keeps a link to it) before a single field is read.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from ..pagopa import ROME
from .base import ParsedReceipt, ReceiptFormatError

NS = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "contracts" / "pa_send_rt_v2.xsd"
REQUEST = f"{{{NS}}}paSendRTV2Request"
PULL_ROOT = "PaSendRTV2Request"  # the receipts service's root element, in no namespace
RECEIPT_ID_MAX = 64  # Receipt.receipt_id; the schema leaves receiptId unbounded
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class Refusal:
    """ReceiptMessage.Refusal values for XML (kept here so that the gateway does not import the models)."""

    MALFORMED = "xml"
    DOCTYPE = "doctype"
    SCHEMA = "schema"
    SHAPE = "shape"


@dataclass(frozen=True)
class StationReceipt:
    """A paSendRTV2 request: who it is addressed to (the station's identifiers) and the receipt."""

    id_pa: str
    id_broker_pa: str
    id_station: str
    receipt: ParsedReceipt
    transfer_fiscal_codes: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), _parser()))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def xml_parse_safe(body: bytes) -> etree._Element:
    """The document's root, or ReceiptFormatError: not XML, a DOCTYPE/ENTITY (XXE, entity bombs), empty."""
    if _DECLARATION.search(body):
        raise ReceiptFormatError("DOCTYPE or ENTITY declarations are not accepted", refusal=Refusal.DOCTYPE)
    try:
        tree = etree.fromstring(body, _parser()).getroottree()
    except (etree.XMLSyntaxError, ValueError) as error:
        raise ReceiptFormatError(f"not well-formed XML: {str(error)[:200]}", refusal=Refusal.MALFORMED) from error
    docinfo = tree.docinfo
    if getattr(docinfo, "doctype", "") or getattr(docinfo, "internalDTD", None) is not None:
        raise ReceiptFormatError("DOCTYPE declarations are not accepted", refusal=Refusal.DOCTYPE)
    return tree.getroot()


def _validate(request: etree._Element) -> None:
    xsd = schema()
    if not xsd.validate(request):
        errors: list[Any] = list(xsd.error_log)  # type: ignore[call-overload]  # lxml-stubs: no __iter__
        error = errors[-1] if errors else None
        where = f"line {error.line}: " if error is not None else ""
        message = error.message if error is not None else "invalid"
        raise ReceiptFormatError(f"not valid against paForNode.xsd: {where}{message[:300]}", refusal=Refusal.SCHEMA)


def pa_send_rt_v2_envelope_parse(body: bytes) -> StationReceipt:
    """The SOAP 1.1 envelope the Nodo posts → the station's identifiers and the receipt."""
    root = xml_parse_safe(body)
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise ReceiptFormatError("not a SOAP 1.1 envelope", refusal=Refusal.SHAPE)
    soap_body = root.find(f"{{{SOAP_NS}}}Body")
    children = list(soap_body) if soap_body is not None else []
    if len(children) != 1 or children[0].tag != REQUEST:
        raise ReceiptFormatError("the SOAP body is not one paSendRTV2Request", refusal=Refusal.SHAPE)
    return _request_read(children[0])


def receipt_document_parse(body: bytes) -> StationReceipt:
    """The receipts service's document (root `PaSendRTV2Request` in no namespace, or the namespaced request)."""
    root = xml_parse_safe(body)
    if root.tag == PULL_ROOT:
        root.tag = REQUEST  # the same content: its children are unqualified in both forms
    if root.tag != REQUEST:
        raise ReceiptFormatError(f"root element {str(root.tag)[:80]} is not a paSendRTV2 request", refusal="shape")
    return _request_read(root)


def _request_read(request: etree._Element) -> StationReceipt:
    _validate(request)
    receipt = request.find("receipt")
    if receipt is None:  # the schema requires it: never reached
        raise ReceiptFormatError("no receipt", refusal=Refusal.SHAPE)
    return StationReceipt(
        id_pa=_text(request, "idPA"),
        id_broker_pa=_text(request, "idBrokerPA"),
        id_station=_text(request, "idStation"),
        receipt=_receipt_read(receipt),
        transfer_fiscal_codes=[_text(item, "fiscalCodePA") for item in receipt.iterfind("transferList/transfer")],
    )


def _text(element: etree._Element, path: str) -> str:
    return (element.findtext(path) or "").strip()


def _cents(text: str) -> int:
    try:
        return int(Decimal(text) * 100) if text else 0
    except InvalidOperation as error:  # the schema's pattern makes this unreachable; never a 500
        raise ReceiptFormatError(f"not an amount: {text[:20]}", refusal=Refusal.SCHEMA) from error


def _paid_at(receipt: etree._Element, application_date: datetime.date | None) -> datetime.datetime:
    """paymentDateTime (local time of the Nodo when it has no offset); without it the data applicativa."""
    text = _text(receipt, "paymentDateTime")
    if text:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value if value.tzinfo is not None else value.replace(tzinfo=ROME)
    if application_date is not None:
        return datetime.datetime.combine(application_date, datetime.time(), tzinfo=ROME)
    raise ReceiptFormatError("neither paymentDateTime nor applicationDate", refusal=Refusal.SHAPE)


def _receipt_read(receipt: etree._Element) -> ParsedReceipt:
    receipt_id = _text(receipt, "receiptId")
    if not receipt_id or len(receipt_id) > RECEIPT_ID_MAX:
        raise ReceiptFormatError(f"receiptId: 1 to {RECEIPT_ID_MAX} characters", refusal=Refusal.SHAPE)
    application_text = _text(receipt, "applicationDate")
    application_date = datetime.date.fromisoformat(application_text[:10]) if application_text else None
    subject = receipt.find("payer")
    if subject is None:
        subject = receipt.find("debtor")
    return ParsedReceipt(
        receipt_id=receipt_id,
        notice_number=_text(receipt, "noticeNumber"),
        iuv=_text(receipt, "creditorReferenceId"),
        creditor_fiscal_code=_text(receipt, "fiscalCode"),
        outcome=_text(receipt, "outcome"),
        amount_cents=_cents(_text(receipt, "paymentAmount")),
        fee_cents=_cents(_text(receipt, "fee")),
        psp_id=_text(receipt, "idPSP"),
        psp_name=_text(receipt, "PSPCompanyName"),
        payment_method=_text(receipt, "paymentMethod"),
        payer_fiscal_code=_text(subject, "uniqueIdentifier/entityUniqueIdentifierValue").upper()
        if subject is not None
        else "",
        payer_name=_text(subject, "fullName") if subject is not None else "",
        paid_at=_paid_at(receipt, application_date),
        psp_fiscal_code=_text(receipt, "pspFiscalCode")[:16],
        application_date=application_date,
    )


def pa_send_rt_v2_response(
    *, outcome: str, fault_code: str = "", fault_string: str = "", fault_id: str = "", description: str = ""
) -> bytes:
    """The station's answer: a SOAP envelope with paSendRTV2Response, OK or KO with its ctFaultBean."""
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soapenv": SOAP_NS, "pafn": NS})
    response = etree.SubElement(etree.SubElement(envelope, f"{{{SOAP_NS}}}Body"), f"{{{NS}}}paSendRTV2Response")
    etree.SubElement(response, "outcome").text = outcome
    if outcome != "OK":
        fault = etree.SubElement(response, "fault")
        etree.SubElement(fault, "faultCode").text = fault_code
        etree.SubElement(fault, "faultString").text = fault_string
        etree.SubElement(fault, "id").text = fault_id
        if description:
            etree.SubElement(fault, "description").text = description
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
