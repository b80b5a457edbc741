"""paSendRTV2 calls as the Nodo makes them, for tests: the fake's own builder (mockpsp.receipt_xml) around the same
ctReceiptV2 fields as tests.payments.factories.receipt_body, with a transfer (the schema asks for one at least)."""

from django.conf import settings
from django.test import Client

from mockpsp.receipt_xml import pa_send_rt_v2_document, pa_send_rt_v2_envelope
from payments import services
from payments.models import PaymentOption

from .factories import receipt_body

STATION_URL = "/pagamenti/pagopa/stazione/"
SOAP_HEADERS = {"content_type": "text/xml; charset=utf-8", "HTTP_SOAPACTION": '"paSendRTV2"'}


def with_transfer(body: dict) -> dict:
    if body.get("transferList"):
        return body
    transfer = {
        "idTransfer": 1,
        "transferAmount": body["paymentAmount"],
        "fiscalCodePA": body["fiscalCode"],
        "IBAN": settings.PAGOPA_CREDITOR_IBAN,
        "remittanceInformation": body["description"],
        "transferCategory": settings.PAGOPA_TAXONOMY["canteen"],
    }
    return body | {"transferList": [transfer]}


def station_ids(**overrides: str) -> dict[str, str]:
    ids = {
        "id_pa": settings.PAGOPA_ID_PA,
        "id_broker_pa": settings.PAGOPA_ID_BROKER_PA,
        "id_station": settings.PAGOPA_ID_STATION.split(",")[0],
    }
    return ids | overrides


def envelope(body: dict, **ids: str) -> bytes:
    return pa_send_rt_v2_envelope(with_transfer(body), **station_ids(**ids))


def document(body: dict, **ids: str) -> bytes:
    return pa_send_rt_v2_document(with_transfer(body), **station_ids(**ids))


def station_call(content: bytes, **headers: str) -> services.station.StationAnswer:
    return services.station_receipt_intake(body=content, headers=headers, remote_addr="127.0.0.1")


def station_pay(option: PaymentOption, **kwargs) -> services.station.StationAnswer:
    """Pay an option with a paSendRTV2 call to the station service."""
    return station_call(envelope(receipt_body(option=option, **kwargs)))


def station_post(client: Client, content: bytes, **extra: str):
    return client.post(STATION_URL, data=content, **(SOAP_HEADERS | extra))
