"""The fake Nodo's receipts as XML: the paSendRTV2 SOAP call it sends to the creditor's station, and the same request
as the receipts service returns it (root `PaSendRTV2Request`, no namespace).

Built from the receipt the fake stored (its ctReceiptV2 fields, mockpsp.delivery.receipt_create) in the order and
shape of pagoPA's paForNode.xsd; the tests validate every document against tests/contracts/pa_send_rt_v2.xsd. Written
apart from the portal's parser (payments.gateway.receipt_xml), which the fake does not import.
"""

from lxml import etree

PA_FOR_NODE = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ACTION = "paSendRTV2"

# ctReceiptV2's elements in the schema's order, with the receipt's key for each ("" = built separately).
_RECEIPT_HEAD = (
    "receiptId",
    "noticeNumber",
    "fiscalCode",
    "outcome",
    "creditorReferenceId",
    "paymentAmount",
    "description",
    "companyName",
    "officeName",
)
_RECEIPT_PSP = ("idPSP", "pspFiscalCode", "pspPartitaIVA", "PSPCompanyName", "idChannel", "channelDescription")
_RECEIPT_TAIL = (
    "paymentMethod",
    "paymentNote",
    "fee",
    "primaryCiIncurredFee",
    "idBundle",
    "idCiBundle",
    "paymentDateTime",
    "applicationDate",
    "transferDate",
)
_SUBJECT_ADDRESS = ("streetName", "civicNumber", "postalCode", "city", "stateProvinceRegion", "country")


def _add(parent: etree._Element, name: str, value: object) -> None:
    """A child element, left out when the value is empty (every optional element of the schema is minOccurs=0)."""
    if value is None or value == "":
        return
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    etree.SubElement(parent, name).text = text


def _subject(parent: etree._Element, name: str, subject: dict | None) -> None:
    if not subject:
        return
    element = etree.SubElement(parent, name)
    unique = etree.SubElement(element, "uniqueIdentifier")
    _add(unique, "entityUniqueIdentifierType", subject.get("entityUniqueIdentifierType", "F"))
    _add(unique, "entityUniqueIdentifierValue", subject.get("entityUniqueIdentifierValue"))
    _add(element, "fullName", subject.get("fullName"))
    for key in _SUBJECT_ADDRESS:
        _add(element, key, subject.get(key))
    _add(element, "e-mail", subject.get("eMail") or subject.get("e-mail"))


def _metadata(parent: etree._Element, entries: list[dict] | None) -> None:
    if not entries:
        return
    metadata = etree.SubElement(parent, "metadata")
    for entry in entries[:15]:
        map_entry = etree.SubElement(metadata, "mapEntry")
        _add(map_entry, "key", entry.get("key"))
        _add(map_entry, "value", entry.get("value"))


def _transfers(parent: etree._Element, transfers: list[dict]) -> None:
    transfer_list = etree.SubElement(parent, "transferList")
    for transfer in transfers:
        element = etree.SubElement(transfer_list, "transfer")
        for key in ("idTransfer", "transferAmount", "fiscalCodePA", "companyName"):
            _add(element, key, transfer.get(key))
        if transfer.get("MBDAttachment"):
            _add(element, "MBDAttachment", transfer["MBDAttachment"])
        else:
            _add(element, "IBAN", transfer.get("IBAN"))
        _add(element, "remittanceInformation", transfer.get("remittanceInformation"))
        _add(element, "transferCategory", transfer.get("transferCategory"))
        _metadata(element, transfer.get("metadata"))


def _request(root_tag: str, receipt: dict, *, id_pa: str, id_broker_pa: str, id_station: str) -> etree._Element:
    request = etree.Element(root_tag, nsmap={"pafn": PA_FOR_NODE} if root_tag.startswith("{") else None)
    _add(request, "idPA", id_pa)
    _add(request, "idBrokerPA", id_broker_pa)
    _add(request, "idStation", id_station)
    element = etree.SubElement(request, "receipt")
    for key in _RECEIPT_HEAD:
        _add(element, key, receipt.get(key))
    _subject(element, "debtor", receipt.get("debtor"))
    _transfers(element, receipt.get("transferList") or [])
    for key in _RECEIPT_PSP:
        _add(element, key, receipt.get(key))
    _subject(element, "payer", receipt.get("payer"))
    for key in _RECEIPT_TAIL:
        _add(element, key, receipt.get(key))
    _metadata(element, receipt.get("metadata"))
    _add(element, "standIn", receipt.get("standIn"))
    return request


def pa_send_rt_v2_envelope(receipt: dict, *, id_pa: str, id_broker_pa: str, id_station: str) -> bytes:
    """The SOAP 1.1 call the Nodo posts to the station (SOAPAction: paSendRTV2)."""
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV, "pafn": PA_FOR_NODE})
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Header")
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    body.append(
        _request(
            f"{{{PA_FOR_NODE}}}paSendRTV2Request",
            receipt,
            id_pa=id_pa,
            id_broker_pa=id_broker_pa,
            id_station=id_station,
        )
    )
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def pa_send_rt_v2_document(receipt: dict, *, id_pa: str, id_broker_pa: str, id_station: str) -> bytes:
    """The receipts service's form: the same request, root `PaSendRTV2Request` in no namespace."""
    request = _request("PaSendRTV2Request", receipt, id_pa=id_pa, id_broker_pa=id_broker_pa, id_station=id_station)
    return etree.tostring(request, xml_declaration=True, encoding="UTF-8")


def pa_send_rt_v2_outcome(content: bytes) -> tuple[str, str]:
    """(outcome, faultCode) of the station's paSendRTV2Response; ("", "") when the answer is not one."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(content, parser)
    except (etree.XMLSyntaxError, ValueError):
        return "", ""
    response = root.find(f"{{{SOAP_ENV}}}Body/{{{PA_FOR_NODE}}}paSendRTV2Response")
    if response is None:
        return "", ""
    return (response.findtext("outcome") or "").strip(), (response.findtext("fault/faultCode") or "").strip()
