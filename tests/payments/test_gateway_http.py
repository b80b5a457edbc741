"""HttpGateway against the fake platform over the in-process WSGI transport, and against broken networks."""

import datetime
import json
import weakref

import httpx
import pytest
from django.core import signals
from django.db import close_old_connections, connection

from mockpsp.models import Checkout, DebtPosition, PaymentOption
from payments.gateway import (
    CartItem,
    GatewayRejectedError,
    GatewayUnavailableError,
    ReceiptSignatureError,
    ReturnUrls,
    get_gateway,
)
from payments.gateway.http import HttpGateway
from payments.pagopa import iuv_from_notice_number, receipt_sign
from tests.mockpsp.helpers import gateway_position, nav_for, set_behaviour

pytestmark = pytest.mark.django_db

URLS = ReturnUrls(ok="/ok", cancel="/annullato", error="/errore", waiting="/attesa")


def cart_item(option, **changes) -> CartItem:
    values = {
        "notice_number": option.notice_number,
        "creditor_fiscal_code": "00000000000",
        "amount_cents": option.amount_cents,
        "company_name": "Comune di Prova",
        "description": option.description,
    }
    values.update(changes)
    return CartItem(**values)


def test_get_gateway_is_the_http_client():
    assert isinstance(get_gateway(), HttpGateway)


def test_create_publishes_a_valid_position_in_cents():
    position = gateway_position(amounts_cents=(4550, 1000), partial=True)
    assert get_gateway().debt_position_create(position=position) == "VALID"
    stored = DebtPosition.objects.get(iupd=position.iupd)
    assert stored.organization_fiscal_code == "00000000000"
    assert stored.payer_fiscal_code == "RSSMRA85C52H501N"
    options = list(stored.options.order_by("due_date"))
    assert [o.amount_cents for o in options] == [4550, 1000]
    assert [o.nav for o in options] == [o.notice_number for o in position.options]
    assert options[0].is_partial_payment is True
    assert options[0].transfers[0]["category"] == "9/0101108TS/"
    assert options[0].transfers[0]["amount"] == 4550
    assert get_gateway().debt_position_status(iupd=position.iupd) == "VALID"


def test_duplicate_iupd_and_duplicate_iuv_are_409():
    position = gateway_position()
    gateway = get_gateway()
    gateway.debt_position_create(position=position)
    with pytest.raises(GatewayRejectedError) as same_iupd:
        gateway.debt_position_create(position=position)
    assert (same_iupd.value.status, same_iupd.value.code) == (409, "PAA_PAGAMENTO_DUPLICATO")
    other = gateway_position(iupd="00000000000-another")
    clash = type(other)(**{**other.__dict__, "options": position.options})
    with pytest.raises(GatewayRejectedError) as same_iuv:
        gateway.debt_position_create(position=clash)
    assert same_iuv.value.status == 409
    assert not DebtPosition.objects.filter(iupd="00000000000-another").exists()


def test_invalidate_is_final_and_idempotent():
    position = gateway_position()
    gateway = get_gateway()
    gateway.debt_position_create(position=position)
    assert gateway.debt_position_invalidate(iupd=position.iupd) == "INVALID"
    assert gateway.debt_position_invalidate(iupd=position.iupd) == "INVALID"
    assert gateway.debt_position_status(iupd=position.iupd) == "INVALID"


def test_unknown_position_is_404_sconosciuto():
    with pytest.raises(GatewayRejectedError) as error:
        get_gateway().debt_position_status(iupd="nope")
    assert (error.value.status, error.value.code) == (404, "PAA_PAGAMENTO_SCONOSCIUTO")


def test_nav_with_wrong_check_digits_is_refused_unless_relaxed():
    position = gateway_position()
    good = position.options[0].notice_number
    bad_nav = good[:16] + f"{(int(good[16:]) + 1) % 93:02d}"
    option = type(position.options[0])(**{**position.options[0].__dict__, "notice_number": bad_nav})
    option = type(option)(**{**option.__dict__, "iuv": iuv_from_notice_number(bad_nav)})
    broken = type(position)(**{**position.__dict__, "options": [option]})
    with pytest.raises(GatewayRejectedError) as error:
        get_gateway().debt_position_create(position=broken)
    assert error.value.status == 400
    assert "check digits" in str(error.value)
    set_behaviour(check_digit_strict=False)
    assert get_gateway().debt_position_create(position=broken) == "VALID"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("notice_number", "101000000000012373", "must be 3 followed by 17 digits"),
        ("amount_cents", 0, "at least 1"),
        ("iuv", "01000000000000000", "aux digit followed by the iuv"),
    ],
)
def test_invalid_options_are_400(field, value, message):
    position = gateway_position()
    option = type(position.options[0])(**{**position.options[0].__dict__, field: value})
    with pytest.raises(GatewayRejectedError) as error:
        get_gateway().debt_position_create(position=type(position)(**{**position.__dict__, "options": [option]}))
    assert error.value.status == 400
    assert message in str(error.value)


def test_bad_taxonomy_code_is_400():
    position = type(gateway_position())(**{**gateway_position().__dict__, "taxonomy_code": "9/01011TS/"})
    with pytest.raises(GatewayRejectedError, match="taxonomy"):
        get_gateway().debt_position_create(position=position)


def test_checkout_opens_a_cart_and_answers_its_page_url():
    position = gateway_position(amounts_cents=(4550, 1200))
    gateway = get_gateway()
    gateway.debt_position_create(position=position)
    url = gateway.checkout_open(
        items=[cart_item(option) for option in position.options], return_urls=URLS, email="a@example.it", cart_id="C1"
    )
    cart = Checkout.objects.get()
    assert url == f"http://testserver/mockpsp/checkout/{cart.token}/"
    assert [item["noticeNumber"] for item in cart.items] == [o.notice_number for o in position.options]
    assert (cart.return_ok_url, cart.return_waiting_url, cart.email, cart.id_cart) == (
        "/ok",
        "/attesa",
        "a@example.it",
        "C1",
    )
    assert cart.total_cents == 5750


def test_checkout_refuses_wrong_amount_cancelled_notice_and_big_carts():
    position = gateway_position()
    gateway = get_gateway()
    gateway.debt_position_create(position=position)
    option = position.options[0]
    with pytest.raises(GatewayRejectedError) as wrong_amount:
        gateway.checkout_open(items=[cart_item(option, amount_cents=100)], return_urls=URLS, email="", cart_id="C")
    assert (wrong_amount.value.status, wrong_amount.value.code) == (422, "PAA_SEMANTICA")
    with pytest.raises(GatewayRejectedError) as unknown:
        gateway.checkout_open(
            items=[cart_item(option, notice_number=nav_for())], return_urls=URLS, email="", cart_id="C"
        )
    assert unknown.value.code == "PAA_PAGAMENTO_SCONOSCIUTO"
    with pytest.raises(GatewayRejectedError) as too_many:
        gateway.checkout_open(items=[cart_item(option)] * 6, return_urls=URLS, email="", cart_id="C")
    assert too_many.value.status == 400
    gateway.debt_position_invalidate(iupd=position.iupd)
    with pytest.raises(GatewayRejectedError) as cancelled:
        gateway.checkout_open(items=[cart_item(option)], return_urls=URLS, email="", cart_id="C")
    assert (cancelled.value.status, cancelled.value.code) == (422, "PAA_PAGAMENTO_ANNULLATO")
    assert not Checkout.objects.exists()


def test_subscription_key_is_required(client, settings):
    url = "/mockpsp/api/organizations/00000000000/debtpositions"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Ocp-Apim-Subscription-Key": "wrong"}).status_code == 401
    assert client.get(url, headers={"Ocp-Apim-Subscription-Key": settings.PAGOPA_SUBSCRIPTION_KEY}).status_code == 200
    gateway = get_gateway()
    gateway.subscription_key = "old-key"
    with pytest.raises(GatewayRejectedError) as error:
        gateway.debt_position_status(iupd="x")
    assert error.value.status == 401


def _connected(signal) -> bool:
    return any(
        isinstance(entry[1], weakref.ReferenceType) and entry[1]() is close_old_connections
        for entry in signal.receivers
    )


def test_in_process_calls_leave_the_test_transaction_and_signals_alone():
    before = (_connected(signals.request_started), _connected(signals.request_finished))
    assert before == (True, True)
    assert connection.in_atomic_block
    get_gateway().debt_position_create(position=gateway_position())
    assert connection.in_atomic_block
    assert connection.connection is not None
    assert DebtPosition.objects.count() == 1  # the same connection and transaction still work
    assert (_connected(signals.request_started), _connected(signals.request_finished)) == before


def test_nested_in_process_call_does_not_reconnect_under_an_outer_one():
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        get_gateway().debt_position_create(position=gateway_position())
        assert not _connected(signals.request_started)
        assert not _connected(signals.request_finished)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_unreachable_platform_is_unavailable(settings):
    settings.PAGOPA_BASE_URL = "http://127.0.0.1:9/mockpsp/api"
    settings.PAGOPA_HTTP_TRANSPORT = ""
    settings.PAGOPA_TIMEOUT_SECONDS = 0.5
    settings.PAGOPA_RETRIES = 1
    with pytest.raises(GatewayUnavailableError):
        get_gateway().debt_position_status(iupd="x")


def _mock_gateway(settings, handler, retries=2) -> HttpGateway:
    settings.PAGOPA_RETRIES = retries
    settings.PAGOPA_BASE_URL = "http://pagopa.test/api"
    return HttpGateway(transport=httpx.MockTransport(handler))


def test_5xx_is_retried_then_unavailable(settings, monkeypatch):
    monkeypatch.setattr("payments.gateway.http.time.sleep", lambda seconds: None)
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(503)

    with pytest.raises(GatewayUnavailableError):
        _mock_gateway(settings, handler).debt_position_status(iupd="x")
    assert len(calls) == 3
    assert calls[0].headers["Ocp-Apim-Subscription-Key"] == settings.PAGOPA_SUBSCRIPTION_KEY
    assert calls[0].url.path == "/api/organizations/00000000000/debtpositions/x"


def test_lost_answer_then_409_reads_the_created_position(settings, monkeypatch):
    monkeypatch.setattr("payments.gateway.http.time.sleep", lambda seconds: None)
    seen = []

    def handler(request):
        seen.append((request.method, request.url.path))
        if len(seen) == 1:
            raise httpx.ReadTimeout("lost", request=request)
        if request.method == "POST":
            assert json.loads(request.content)["paymentOption"][0]["amount"] == 4550
            assert request.url.params["toPublish"] == "true"
            return httpx.Response(409, json={"status": 409, "faultCode": "PAA_PAGAMENTO_DUPLICATO"})
        return httpx.Response(200, json={"status": "VALID"})

    assert _mock_gateway(settings, handler).debt_position_create(position=gateway_position()) == "VALID"
    assert [method for method, _path in seen] == ["POST", "POST", "GET"]


def test_checkout_without_redirect_is_rejected(settings):
    def handler(request):
        return httpx.Response(400, json={"status": 400, "detail": "paymentNotices: invalid"})

    position = gateway_position()
    with pytest.raises(GatewayRejectedError, match="paymentNotices"):
        _mock_gateway(settings, handler).checkout_open(
            items=[cart_item(position.options[0])], return_urls=URLS, email="", cart_id="C"
        )


# --- receipt signature ------------------------------------------------------------------------------------------

SECRET = "test-receipt-secret"  # settings_test.PAYMENTS_WEBHOOK_SECRET
RECEIPT = {
    "receiptId": "a" * 32,
    "noticeNumber": "301000000000012373",
    "fiscalCode": "00000000000",
    "outcome": "OK",
    "creditorReferenceId": "01000000000012373",
    "paymentAmount": "45.50",
    "fee": "1.00",
    "idPSP": "MOCKCARD1",
    "PSPCompanyName": "Carte Prova S.p.A.",
    "paymentMethod": "CP",
    "payer": {
        "entityUniqueIdentifierType": "F",
        "entityUniqueIdentifierValue": "rssmra85c52h501n",
        "fullName": "Maria",
    },
    "debtor": {"entityUniqueIdentifierValue": "RSSGLI18C52H501V", "fullName": "Giulia Rossi"},
    "paymentDateTime": "2026-10-05T10:15:00+02:00",
    "transferList": [],
    "description": "Mensa",
    "companyName": "Comune di Prova",
}


def signed(body: dict, key: str = "") -> tuple[bytes, dict]:
    raw = json.dumps(body).encode()
    return raw, {"X-PagoPA-Signature": receipt_sign(body=raw, secret=key or SECRET)}


def test_good_signature_parses_the_receipt_in_cents():
    raw, headers = signed(RECEIPT)
    parsed = get_gateway().receipt_verify_and_parse(body=raw, headers={k.lower(): v for k, v in headers.items()})
    assert (parsed.amount_cents, parsed.fee_cents) == (4550, 100)
    assert (parsed.receipt_id, parsed.iuv, parsed.notice_number) == (
        "a" * 32,
        "01000000000012373",
        RECEIPT["noticeNumber"],
    )
    assert (parsed.payer_fiscal_code, parsed.payer_name) == ("RSSMRA85C52H501N", "Maria")
    assert parsed.paid_at == datetime.datetime(2026, 10, 5, 8, 15, tzinfo=datetime.UTC)
    assert (parsed.psp_id, parsed.psp_name, parsed.payment_method, parsed.outcome) == (
        "MOCKCARD1",
        "Carte Prova S.p.A.",
        "CP",
        "OK",
    )


def test_payer_falls_back_to_the_debtor():
    raw, headers = signed({**RECEIPT, "payer": None})
    parsed = get_gateway().receipt_verify_and_parse(body=raw, headers=headers)
    assert parsed.payer_fiscal_code == "RSSGLI18C52H501V"


@pytest.mark.parametrize(
    "case", ["tampered", "wrong_secret", "missing_header", "bad_prefix", "float_amount", "not_json", "no_id"]
)
def test_bad_receipts_are_refused(case):
    raw, headers = signed(RECEIPT)
    if case == "tampered":
        raw = raw.replace(b"45.50", b"95.50")
    elif case == "wrong_secret":
        raw, headers = signed(RECEIPT, key="someone-else")
    elif case == "missing_header":
        headers = {}
    elif case == "bad_prefix":
        headers = {"X-PagoPA-Signature": headers["X-PagoPA-Signature"].removeprefix("sha256=")}
    elif case == "float_amount":
        raw, headers = signed({**RECEIPT, "paymentAmount": 45.5})
    elif case == "not_json":
        raw, headers = signed(RECEIPT)
        raw = b"{not json"
        headers = {"X-PagoPA-Signature": receipt_sign(body=raw, secret=SECRET)}
    elif case == "no_id":
        raw, headers = signed({key: value for key, value in RECEIPT.items() if key != "receiptId"})
    with pytest.raises(ReceiptSignatureError):
        get_gateway().receipt_verify_and_parse(body=raw, headers=headers)


def test_empty_secret_rejects_everything(settings):
    raw = json.dumps(RECEIPT).encode()
    settings.PAYMENTS_WEBHOOK_SECRET = ""
    with pytest.raises(ReceiptSignatureError):
        get_gateway().receipt_verify_and_parse(
            body=raw, headers={"X-PagoPA-Signature": receipt_sign(body=raw, secret="")}
        )


def test_paid_option_is_duplicate_at_checkout():
    position = gateway_position()
    gateway = get_gateway()
    gateway.debt_position_create(position=position)
    PaymentOption.objects.filter(nav=position.options[0].notice_number).update(status=PaymentOption.Status.PAID)
    with pytest.raises(GatewayRejectedError) as error:
        gateway.checkout_open(items=[cart_item(position.options[0])], return_urls=URLS, email="", cart_id="C")
    assert (error.value.status, error.value.code) == (409, "PAA_PAGAMENTO_DUPLICATO")


def test_calls_over_the_network_load_the_ca_bundle_once(settings, monkeypatch):
    """Loading the CA bundle costs ~60 ms of CPU: once per process, not at every call to the platform (the load
    bench found a third of a top-up's time in it)."""
    import ssl

    from portal import http_transport

    settings.PAGOPA_BASE_URL = "http://127.0.0.1:1/api"  # nothing listens there: the call fails at once
    settings.PAGOPA_HTTP_TRANSPORT = ""
    settings.PAGOPA_RETRIES = 0
    http_transport.tls_context.cache_clear()
    loads = []
    original = ssl.SSLContext.load_verify_locations
    monkeypatch.setattr(
        ssl.SSLContext, "load_verify_locations", lambda self, *a, **k: loads.append(1) or original(self, *a, **k)
    )
    gateway = HttpGateway()
    for _n in range(3):
        with pytest.raises(GatewayUnavailableError):
            gateway.debt_position_status(iupd="bench-iupd")
    assert len(loads) == 1
