"""The fake's receipt delivery (twice, out of order, failures, delays, retries), its extra API and control page."""

import datetime
import json

import httpx
import pytest
import time_machine
from django.utils import timezone

from mockpsp import delivery, services
from mockpsp.faults import MockFaultError
from mockpsp.models import Behaviour, DebtPosition, PaymentOption, Receipt, ReceiptDelivery
from mockpsp.psps import psps_for
from mockpsp.tasks import receipt_deliveries_send_due_task
from payments.gateway import get_gateway
from tests.mockpsp.helpers import (
    capture_receipts,
    flush_receipts,
    gateway_position,
    nav_for,
    pay_notices_at_fake,
    set_behaviour,
)

pytestmark = pytest.mark.django_db

KEY = {"Ocp-Apim-Subscription-Key": "mock-subscription-key"}
API = "/mockpsp/api/organizations/00000000000/debtpositions"


def published(*, amounts=(4550,), partial=False) -> list[str]:
    position = gateway_position(amounts_cents=amounts, partial=partial)
    get_gateway().debt_position_create(position=position)
    return [option.notice_number for option in position.options]


def cart_of_three() -> list[str]:
    return [published(amounts=(amount,))[0] for amount in (1000, 2000, 3000)]


def test_pay_helper_pays_and_delivers_in_cart_order():
    navs = cart_of_three()
    with capture_receipts() as captured:
        bodies = pay_notices_at_fake(None, navs)
    assert [body["noticeNumber"] for body in bodies] == navs
    assert captured.notice_numbers == navs
    assert [body["paymentAmount"] for body in bodies] == ["10.00", "20.00", "30.00"]


def test_pay_helper_through_the_pages(client):
    navs = published()
    with capture_receipts() as captured:
        pay_notices_at_fake(client, navs)
    assert captured.notice_numbers == navs


def test_send_twice_delivers_each_receipt_twice():
    set_behaviour(send_twice=True)
    navs = cart_of_three()[:2]
    with capture_receipts() as captured:
        pay_notices_at_fake(None, navs)
    ids = [body["receiptId"] for body in captured.bodies]
    assert len(ids) == 4
    assert ids[:2] == ids[2:]
    assert captured.requests[0].content == captured.requests[2].content


def test_out_of_order_reverses_a_carts_receipts():
    set_behaviour(out_of_order=True)
    navs = cart_of_three()
    with capture_receipts() as captured:
        pay_notices_at_fake(None, navs)
    assert captured.notice_numbers == list(reversed(navs))


def test_fail_first_n_fails_without_posting_then_succeeds_on_retry():
    set_behaviour(fail_first_n=1)
    navs = published()
    with capture_receipts() as captured:
        pay_notices_at_fake(None, navs)  # flushes once: the simulated 503
        row = ReceiptDelivery.objects.get()
        assert captured.requests == []
        assert (row.attempts, row.last_status, row.delivered_at) == (1, 503, None)
        assert row.deliver_after > timezone.now()
        assert Behaviour.current().failures_left == 0
        assert flush_receipts() == 1
    row.refresh_from_db()
    assert row.attempts == 2
    assert row.delivered_at is not None
    assert captured.notice_numbers == navs


def test_intake_errors_are_retried_with_backoff():
    navs = published()
    with capture_receipts(status=503) as captured:
        pay_notices_at_fake(None, navs)
        row = ReceiptDelivery.objects.get()
        assert (row.attempts, row.last_status) == (1, 503)
        assert "HTTP 503" in row.last_error
        first_wait = row.deliver_after
        flush_receipts()
        row.refresh_from_db()
        assert row.attempts == 2
        assert row.deliver_after - timezone.now() > first_wait - timezone.now()  # longer backoff
        captured.status = 200
        assert delivery.receipt_deliveries_send_due() == 0  # not due yet
        assert flush_receipts() == 1
    assert len(captured.requests) == 3


def test_network_errors_are_recorded():
    navs = published()

    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    with capture_receipts() as captured:
        captured.answer = refuse
        pay_notices_at_fake(None, navs)
    row = ReceiptDelivery.objects.get()
    assert row.delivered_at is None
    assert "ConnectError" in row.last_error


def test_delayed_receipts_wait_for_their_time_then_the_beat_sends_them(django_capture_on_commit_callbacks):
    set_behaviour(delay_seconds=60)
    navs = published()
    cart = services.checkout_create(
        data={
            "paymentNotices": [
                {
                    "noticeNumber": navs[0],
                    "fiscalCode": "00000000000",
                    "amount": 4550,
                    "companyName": "C",
                    "description": "D",
                }
            ],
            "returnUrls": {"returnOkUrl": "/ok", "returnCancelUrl": "/c", "returnErrorUrl": "/e"},
        }
    )
    with capture_receipts() as captured:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.checkout_pay(token=cart.token, psp=psps_for("card")[0], method="card")
        assert callbacks == []
        assert receipt_deliveries_send_due_task.delay().get() == 0
        with time_machine.travel(timezone.now() + datetime.timedelta(seconds=61), tick=False):
            assert receipt_deliveries_send_due_task.delay().get() == 1
    assert captured.notice_numbers == navs


def test_deliveries_are_queued_after_commit(django_capture_on_commit_callbacks):
    navs = published()
    option = PaymentOption.objects.get(nav=navs[0])
    with capture_receipts() as captured, django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.shop_pay(organization="00000000000", nav=option.nav, psp=psps_for("shop")[0])
    assert len(callbacks) == 1
    assert captured.requests == []
    with capture_receipts() as captured:
        callbacks[0]()
    assert captured.notice_numbers == navs


def test_receipts_go_to_the_portal_intake_when_no_url_is_set(settings, monkeypatch):
    monkeypatch.setattr(delivery, "reverse", lambda name: "/pagamenti/ricevute/pagopa/")
    assert delivery.receipt_target_url() == "http://testserver/pagamenti/ricevute/pagopa/"
    settings.PAGOPA_HTTP_TRANSPORT = ""
    settings.PORTAL_DOMAIN = "portale.example.it"
    assert delivery.receipt_target_url() == "http://portale.example.it/pagamenti/ricevute/pagopa/"
    settings.PAGOPA_MOCK_RECEIPT_URL = "https://elsewhere.test/rt"
    assert delivery.receipt_target_url() == "https://elsewhere.test/rt"


def test_pull_receipt_api(client):
    navs = published()
    with capture_receipts():
        body = pay_notices_at_fake(None, navs)[0]
    url = f"/mockpsp/api/payments/00000000000/receipts/{navs[0][1:]}"
    response = client.get(url, headers=KEY)
    assert response["Content-Type"] == "application/xml"
    assert f"<receiptId>{body['receiptId']}</receiptId>".encode() in response.content
    assert response.content.count(b"<PaSendRTV2Request") == 1  # the receipts service's root, no namespace
    assert client.get(url).status_code == 401
    missing = client.get("/mockpsp/api/payments/00000000000/receipts/01000000000000000", headers=KEY)
    assert missing.status_code == 404
    assert missing.json()["faultCode"] == "PAA_PAGAMENTO_SCONOSCIUTO"


def test_rata_paid_closes_the_single_payment(client):
    single = gateway_position(amounts_cents=(3000,))
    rate = gateway_position(amounts_cents=(1000, 2000), partial=True)
    position = type(single)(**{**single.__dict__, "options": single.options + rate.options})
    get_gateway().debt_position_create(position=position)
    single_nav, first, second = (option.notice_number for option in position.options)
    with capture_receipts():
        pay_notices_at_fake(None, [first])
        stored = DebtPosition.objects.get(iupd=position.iupd)
        assert stored.status == "PARTIALLY_PAID"
        with pytest.raises(MockFaultError) as closed:
            services.option_verify(organization="00000000000", nav=single_nav)
        assert closed.value.code == "PAA_PAGAMENTO_SCONOSCIUTO"
        pay_notices_at_fake(None, [second])
    stored.refresh_from_db()
    assert stored.status == "PAID"
    with pytest.raises(MockFaultError) as paid:
        services.option_verify(organization="00000000000", nav=single_nav)
    assert paid.value.code == "PAA_PAGAMENTO_DUPLICATO"


def test_receipts_reach_the_portal_intake_in_process():
    """No capture: the push goes through the WSGI transport to payments:pagopa_station inside this transaction."""
    from payments.models import ReceiptMessage

    navs = published()
    pay_notices_at_fake(None, navs)
    row = ReceiptDelivery.objects.get()
    assert row.target_url == "http://testserver/pagamenti/pagopa/stazione/"
    assert row.last_status is not None  # the intake answered (it knows no such notice: its business)
    message = ReceiptMessage.objects.get()
    assert f"<noticeNumber>{navs[0]}</noticeNumber>" in message.body
    assert message.channel == ReceiptMessage.Channel.SOAP


# --- GPD API beyond the gateway ---------------------------------------------------------------------------------


def raw_position(nav: str, **changes) -> dict:
    body = {
        "iupd": f"IUPD-{nav}",
        "type": "F",
        "fiscalCode": "RSSMRA85C52H501N",
        "fullName": "Maria Rossi",
        "companyName": "Comune di Prova",
        "paymentOption": [
            {
                "iuv": nav[1:],
                "amount": 1000,
                "description": "Trasporto",
                "isPartialPayment": False,
                "dueDate": (timezone.now() + datetime.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "transfer": [
                    {
                        "idTransfer": "1",
                        "amount": 1000,
                        "remittanceInformation": "Trasporto",
                        "category": "9/0101109TS/",
                        "iban": "IT60X0542811101000000123456",
                    }
                ],
            }
        ],
    }
    body.update(changes)
    return body


def post(client, url, body=None):
    return client.post(url, json.dumps(body) if body is not None else "", content_type="application/json", headers=KEY)


def test_draft_publish_update_list_and_delete(client):
    nav = nav_for()
    created = post(client, API, raw_position(nav))
    assert created.status_code == 201
    assert created.json()["status"] == "DRAFT"
    assert created.json()["paymentOption"][0]["nav"] == nav  # nav defaults to 3 + iuv
    iupd = f"IUPD-{nav}"
    assert post(client, f"{API}/{iupd}/invalidate").status_code == 409  # a draft cannot be invalidated
    assert post(client, f"{API}/{iupd}/publish").json()["status"] == "VALID"
    assert post(client, f"{API}/{iupd}/publish").status_code == 409
    body = raw_position(nav, fullName="Maria Bianchi")
    updated = client.put(f"{API}/{iupd}", json.dumps(body), content_type="application/json", headers=KEY)
    assert updated.json()["fullName"] == "Maria Bianchi"
    listed = client.get(API, {"status": "VALID", "limit": 50}, headers=KEY).json()
    assert [p["iupd"] for p in listed["payment_position_list"]] == [iupd]
    assert client.get(API, {"limit": 51}, headers=KEY).status_code == 400
    assert client.delete(f"{API}/{iupd}", headers=KEY).status_code == 200
    assert client.get(f"{API}/{iupd}", headers=KEY).status_code == 404


def test_paid_positions_cannot_be_deleted_or_updated(client):
    nav = nav_for()
    post(client, f"{API}?toPublish=true", raw_position(nav))
    paid = post(client, f"/mockpsp/api/organizations/00000000000/paymentoptions/paids/{nav}")
    assert paid.json()["status"] == "PO_PAID"
    assert client.delete(f"{API}/IUPD-{nav}", headers=KEY).status_code == 409
    assert post(client, f"{API}/IUPD-{nav}/invalidate").status_code == 409


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fiscalCode": "123"}, "fiscalCode"),
        ({"fullName": "x" * 71}, "longer than 70"),
        ({"companyName": "x" * 141}, "longer than 140"),
        ({"paymentOption": []}, "at least one option"),
        ({"type": "X"}, "type"),
    ],
)
def test_position_field_checks(client, change, message):
    response = post(client, API, raw_position(nav_for(), **change))
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_transfer_checks(client):
    nav = nav_for()
    body = raw_position(nav)
    body["paymentOption"][0]["transfer"][0]["amount"] = 999
    assert "add up" in post(client, API, body).json()["detail"]
    body = raw_position(nav)
    body["paymentOption"][0]["transfer"][0]["category"] = "9/0101109XX/"
    assert "taxonomy" in post(client, API, body).json()["detail"]
    body = raw_position(nav)
    body["paymentOption"][0]["transfer"] = body["paymentOption"][0]["transfer"] * 6
    assert "transfers required" in post(client, API, body).json()["detail"]
    assert post(client, API, None).status_code == 400
    bad_org = post(client, "/mockpsp/api/organizations/ABC/debtpositions", raw_position(nav))
    assert bad_org.status_code == 400


def test_wrong_method_is_405(client):
    assert client.delete(API, headers=KEY).status_code == 405


# --- control page -----------------------------------------------------------------------------------------------


def test_control_page_sets_behaviour_and_flushes(client):
    response = client.get("/mockpsp/controllo/")
    assert response.status_code == 200
    assert "Simulatore pagoPA" in response.content.decode()
    response = client.post(
        "/mockpsp/controllo/",
        {"action": "save", "delay_seconds": "30", "send_twice": "on", "fail_first_n": "2", "check_digit_strict": "on"},
    )
    assert response.status_code == 302
    behaviour = Behaviour.current()
    assert (behaviour.delay_seconds, behaviour.send_twice, behaviour.out_of_order) == (30, True, False)
    assert (behaviour.fail_first_n, behaviour.failures_left) == (2, 2)
    bad = client.post("/mockpsp/controllo/", {"action": "save", "delay_seconds": "-1", "fail_first_n": "0"})
    assert bad.status_code == 200
    set_behaviour(delay_seconds=30)
    navs = published()
    with capture_receipts() as captured:
        services.shop_pay(organization="00000000000", nav=navs[0], psp=psps_for("shop")[0])
        assert client.post("/mockpsp/controllo/", {"action": "flush"}).status_code == 302
    assert captured.notice_numbers == navs
    assert navs[0] in client.get("/mockpsp/controllo/").content.decode()
    assert Receipt.objects.count() == 1
