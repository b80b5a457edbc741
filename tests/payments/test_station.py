"""The Comune's station: paSendRTV2 (SOAP) through HTTP, each answer checked against the contract (issue 12)."""

from decimal import Decimal
from unittest import mock

import pytest
from django.test import override_settings
from lxml import etree

from payments import services
from payments.gateway.receipt_xml import pa_send_rt_v2_envelope_parse, receipt_document_parse
from payments.models import LedgerEntry, PaymentNotice, Receipt, ReceiptMessage
from payments.selectors import ledger_balance
from tests.mockpsp.helpers import contract_validate

from .factories import notice_make, receipt_body, single_option
from .station_helpers import STATION_URL, document, envelope, station_call, station_post

pytestmark = pytest.mark.django_db
SOAP_ENV = "{http://schemas.xmlsoap.org/soap/envelope/}"
PA_FOR_NODE = "{http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd}"
PROXY = {"ALLAUTH_TRUSTED_PROXY_COUNT": 1}
FORWARDER = "CN=forwarder.platform.pagopa.example,O=PagoPA S.p.A.,C=IT"


def answer_of(content: bytes) -> tuple[str, str, str]:
    """(outcome, faultCode, fault id) of a paSendRTV2Response, after checking it against the contract."""
    response = etree.fromstring(content).find(f"{SOAP_ENV}Body/{PA_FOR_NODE}paSendRTV2Response")
    assert response is not None, content[:300]
    contract_validate(response)
    return (
        response.findtext("outcome") or "",
        response.findtext("fault/faultCode") or "",
        response.findtext("fault/id") or "",
    )


@pytest.fixture
def notice(giulia, parent):
    notice = notice_make(child=giulia, payer=parent, amount="25.00")
    services.notice_publish(notice_id=notice.pk)
    return notice


def test_a_receipt_pays_the_notice_and_is_answered_ok(client, notice, giulia):
    body = receipt_body(option=single_option(notice))
    response = station_post(client, envelope(body))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert answer_of(response.content) == ("OK", "", "")
    notice.refresh_from_db()
    assert notice.status == PaymentNotice.Status.PAID
    receipt = Receipt.objects.get()
    assert receipt.receipt_id == body["receiptId"]
    assert receipt.message.channel == ReceiptMessage.Channel.SOAP
    assert receipt.payer_fiscal_code == "RSSMRA85C52H501N"
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("25.00")


def test_a_replayed_receipt_is_ok_and_credits_nothing_more(client, notice, giulia):
    content = envelope(receipt_body(option=single_option(notice)))
    assert answer_of(station_post(client, content).content)[0] == "OK"
    replay = station_post(client, content)
    assert answer_of(replay.content) == ("OK", "", "")
    assert Receipt.objects.count() == 1
    assert LedgerEntry.objects.filter(child=giulia).count() == 1  # one top-up credit
    assert ReceiptMessage.objects.filter(outcome=ReceiptMessage.Outcome.DUPLICATE).count() == 1


def test_an_unknown_notice_of_the_portals_series_is_payment_unknown(client, settings):
    body = receipt_body(notice_number=f"3{settings.PAGOPA_SEGREGATION_CODE:02d}000000000000099", amount_cents=1000)
    outcome, fault, fault_id = answer_of(station_post(client, envelope(body)).content)
    assert (outcome, fault, fault_id) == ("KO", "PAA_PAGAMENTO_SCONOSCIUTO", settings.PAGOPA_CREDITOR_FISCAL_CODE)
    assert not Receipt.objects.exists()


def test_a_notice_of_another_system_of_the_comune_is_kept_for_the_office_and_answered_ok(client):
    body = receipt_body(notice_number="399000000000000099", amount_cents=1000)  # segregation code 99: not ours
    assert answer_of(station_post(client, envelope(body)).content) == ("OK", "", "")
    message = ReceiptMessage.objects.get()
    assert message.outcome == ReceiptMessage.Outcome.REJECTED
    assert "sconosciuto" in message.reason
    assert not Receipt.objects.exists()


@pytest.mark.parametrize(
    ("ids", "fault"),
    [
        ({"id_pa": "99999999999"}, "PAA_ID_DOMINIO_ERRATO"),
        ({"id_broker_pa": "99999999999"}, "PAA_ID_INTERMEDIARIO_ERRATO"),
        ({"id_station": "99999999999_01"}, "PAA_STAZIONE_INT_ERRATA"),
    ],
)
def test_another_station_is_refused_with_its_fault(client, notice, ids, fault):
    response = station_post(client, envelope(receipt_body(option=single_option(notice)), **ids))
    assert response.status_code == 200
    assert answer_of(response.content)[:2] == ("KO", fault)
    assert not Receipt.objects.exists()
    assert ReceiptMessage.objects.get().outcome == ReceiptMessage.Outcome.REJECTED


def test_any_of_the_configured_stations_is_accepted(client, notice, settings):
    settings.PAGOPA_ID_STATION = f"{settings.PAGOPA_ID_PA}_01, {settings.PAGOPA_ID_PA}_02"
    content = envelope(receipt_body(option=single_option(notice)), id_station=f"{settings.PAGOPA_ID_PA}_02")
    assert answer_of(station_post(client, content).content)[0] == "OK"


@pytest.mark.parametrize(
    ("change", "fault"),
    [({"creditor": "01234567897"}, "PAA_SEMANTICA"), ({"amount_cents": 2400}, "PAA_SEMANTICA")],
)
def test_another_creditor_or_a_different_amount_is_semantic_and_credits_nothing(client, notice, change, fault):
    response = station_post(client, envelope(receipt_body(option=single_option(notice), **change)))
    assert answer_of(response.content)[:2] == ("KO", fault)
    assert not Receipt.objects.exists()
    notice.refresh_from_db()
    assert notice.status == PaymentNotice.Status.ISSUED


def test_a_ko_receipt_is_acknowledged_and_credits_nothing(client, notice):
    response = station_post(client, envelope(receipt_body(option=single_option(notice), outcome="KO")))
    assert answer_of(response.content) == ("OK", "", "")
    assert not Receipt.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"<not xml",
        b"",
        b'<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        b"<soapenv:Body><x/></soapenv:Body></soapenv:Envelope>",
    ],
)
def test_what_is_not_a_paSendRTV2_is_a_syntax_fault(client, content):
    response = station_post(client, content)
    assert response.status_code == 200
    outcome, fault, _id = answer_of(response.content)
    assert outcome == "KO"
    assert fault.startswith("PAA_SINTASSI")
    message = ReceiptMessage.objects.get()
    assert not message.authenticated or message.outcome == ReceiptMessage.Outcome.REJECTED


def test_a_request_failing_the_schema_is_PAA_SINTASSI_XSD(client, notice):
    content = envelope(receipt_body(option=single_option(notice))).replace(b"<outcome>OK</outcome>", b"")
    assert answer_of(station_post(client, content).content)[:2] == ("KO", "PAA_SINTASSI_XSD")
    assert ReceiptMessage.objects.get().refusal == ReceiptMessage.Refusal.SCHEMA


def test_an_external_entity_is_never_resolved(client, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    content = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
        "<r>&x;</r></soapenv:Body></soapenv:Envelope>"
    ).encode()
    response = station_post(client, content)
    assert answer_of(response.content)[:2] == ("KO", "PAA_SINTASSI_XSD")
    assert b"TOP-SECRET" not in response.content
    message = ReceiptMessage.objects.get()
    assert message.refusal == ReceiptMessage.Refusal.DOCTYPE
    assert "TOP-SECRET" not in message.body


def test_an_entity_bomb_is_refused_unexpanded(client):
    entities = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    content = f'<?xml version="1.0"?><!DOCTYPE r [{entities}]><r>&l9;</r>'.encode()
    response = station_post(client, content)
    assert answer_of(response.content)[:2] == ("KO", "PAA_SINTASSI_XSD")
    assert ReceiptMessage.objects.get().body_length == len(content)


def test_a_ten_megabyte_body_is_refused_unread(client, notice):
    content = b"<" + b"x" * (10 * 1024 * 1024)
    response = station_post(client, content)
    assert response.status_code == 413
    message = ReceiptMessage.objects.get()
    assert message.refusal == ReceiptMessage.Refusal.TOO_LARGE
    assert message.channel == ReceiptMessage.Channel.SOAP
    assert len(message.body) <= 1024


def test_a_storage_failure_is_a_500_so_that_the_nodo_sends_it_again(client, notice):
    with mock.patch("payments.services.receipts._receipt_apply", side_effect=RuntimeError("disk full")):
        response = station_post(client, envelope(receipt_body(option=single_option(notice))))
    assert response.status_code == 500
    assert answer_of(response.content)[:2] == ("KO", "PAA_SYSTEM_ERROR")
    assert not Receipt.objects.exists()


def test_only_post_is_allowed(client):
    assert client.get(STATION_URL).status_code == 405


@override_settings(PAGOPA_STATION_REQUIRE_CLIENT_CERT=True, PAGOPA_STATION_CLIENT_SUBJECTS=[FORWARDER], **PROXY)
def test_in_production_only_the_nodos_certificate_is_believed(client, notice):
    content = envelope(receipt_body(option=single_option(notice)))
    assert station_post(client, content).status_code == 403
    wrong = station_post(client, content, HTTP_X_SSL_CLIENT_S_DN="CN=someone.example")
    assert wrong.status_code == 403
    assert answer_of(wrong.content)[:2] == ("KO", "PAA_SYSTEM_ERROR")
    assert not Receipt.objects.exists()
    assert set(ReceiptMessage.objects.values_list("refusal", flat=True)) == {ReceiptMessage.Refusal.CLIENT_CERT}
    right = station_post(client, content, HTTP_X_SSL_CLIENT_S_DN=FORWARDER)
    assert answer_of(right.content)[0] == "OK"
    assert Receipt.objects.get().message.signature == FORWARDER


@override_settings(PAGOPA_STATION_REQUIRE_CLIENT_CERT=True, PAGOPA_STATION_CLIENT_SUBJECTS=[FORWARDER])
def test_without_a_declared_proxy_the_certificate_header_proves_nothing(client, notice):
    content = envelope(receipt_body(option=single_option(notice)))
    assert station_post(client, content, HTTP_X_SSL_CLIENT_S_DN=FORWARDER).status_code == 403


def test_the_receipts_service_document_reads_as_the_soap_call(notice):
    body = receipt_body(option=single_option(notice))
    pulled = receipt_document_parse(document(body))
    pushed = pa_send_rt_v2_envelope_parse(envelope(body))
    assert pulled == pushed
    assert pulled.receipt.amount_cents == 2500


def test_the_service_answers_the_same_as_the_endpoint(notice):
    answer = station_call(envelope(receipt_body(option=single_option(notice))))
    assert answer.status == 200
    assert answer_of(answer.body) == ("OK", "", "")
