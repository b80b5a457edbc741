"""The fake's pages: checkout (pay, decline, time out, cancel) and pay-at-a-shop, as a browser uses them."""

import datetime

import pytest
from django.utils import timezone

from mockpsp import services
from mockpsp.models import Checkout, DebtPosition, PaymentOption, Receipt, ReceiptDelivery
from mockpsp.psps import psps_for
from payments.gateway import CartItem, ReturnUrls, get_gateway
from payments.gateway.receipt_xml import pa_send_rt_v2_envelope_parse
from payments.pagopa import notice_number_grouped, qr_payload
from tests.mockpsp.helpers import (
    CAPTURE_URL,
    capture_receipts,
    flush_receipts,
    gateway_position,
    nav_for,
    pay_notices_at_fake,
)

pytestmark = pytest.mark.django_db

URLS = ReturnUrls(ok="/esito/ok", cancel="/esito/annullato", error="/esito/errore", waiting="/esito/attesa")


def open_cart(amounts=(4550, 1200)) -> tuple[str, list[str]]:
    """Two positions published and put in one cart; returns the checkout URL's path and the NAVs."""
    gateway = get_gateway()
    navs, items = [], []
    for amount in amounts:
        position = gateway_position(amounts_cents=(amount,))
        gateway.debt_position_create(position=position)
        option = position.options[0]
        navs.append(option.notice_number)
        items.append(CartItem(option.notice_number, "00000000000", amount, "Comune di Prova", option.description))
    url = gateway.checkout_open(items=items, return_urls=URLS, email="maria@example.it", cart_id="CART-1")
    return url.removeprefix("http://testserver"), navs


def pay(client, path, *, method="card", card="4242 4242 4242 4242", psp=None):
    psp = psp or psps_for(method)[0].id
    return client.post(f"{path}paga/", {"method": method, "psp": psp, "card_number": card})


def test_cart_page_shows_notices_total_and_methods(client):
    path, navs = open_cart()
    response = client.get(path)
    content = response.content.decode()
    assert response.status_code == 200
    assert "Simulatore pagoPA" in content
    assert notice_number_grouped(navs[0]) in content
    assert "57,50\u00a0€" in content
    for method in ("card", "account", "wallet"):
        assert f"?metodo={method}" in content


def test_psps_are_listed_cheapest_first_with_their_fee(client):
    path, _navs = open_cart()
    content = client.get(f"{path}paga/?metodo=card").content.decode()
    names = [psp.name for psp in psps_for("card")]
    fees = [psp.fee_cents for psp in psps_for("card")]
    assert fees == sorted(fees)
    assert [content.index(name) for name in names] == sorted(content.index(name) for name in names)
    assert "commissione 0,95 €" in content
    assert "4242 4242 4242 4242" in content  # the test cards are explained


def test_card_success_pays_everything_and_pushes_signed_receipts(client, django_capture_on_commit_callbacks):
    path, navs = open_cart()
    with capture_receipts() as captured, django_capture_on_commit_callbacks(execute=True):
        response = pay(client, path)
    assert response.status_code == 302
    assert response["Location"] == "/esito/ok"
    assert set(PaymentOption.objects.values_list("status", flat=True)) == {"PO_PAID"}
    assert set(DebtPosition.objects.values_list("status", flat=True)) == {"PAID"}
    assert captured.notice_numbers == navs
    parsed = [pa_send_rt_v2_envelope_parse(r.content).receipt for r in captured.requests]
    cheapest = psps_for("card")[0]
    assert [p.amount_cents for p in parsed] == [4550, 1200]
    assert [p.fee_cents for p in parsed] == [cheapest.fee_cents, 0]  # one PSP fee for the whole cart
    assert {p.psp_id for p in parsed} == {cheapest.id}
    assert {p.payment_method for p in parsed} == {"CP"}
    assert {p.payer_fiscal_code for p in parsed} == {"RSSMRA85C52H501N"}
    assert len({p.receipt_id for p in parsed}) == 2
    assert {str(request.url) for request in captured.requests} == {CAPTURE_URL}
    assert captured.bodies[0]["metadata"] == [{"key": "idCart", "value": "CART-1"}]
    assert captured.bodies[0]["paymentDateTime"].endswith(("+01:00", "+02:00"))
    assert ReceiptDelivery.objects.filter(delivered_at__isnull=False).count() == 2
    assert Checkout.objects.get().state == Checkout.State.PAID
    # the cart is closed: its page says so, and paying again changes nothing
    assert "Questo carrello è chiuso" in client.get(path).content.decode()
    assert pay(client, path).status_code == 200
    assert Receipt.objects.count() == 2


def test_bank_account_and_wallet_pay_without_a_card(client):
    path, _navs = open_cart(amounts=(500,))
    with capture_receipts():
        response = pay(client, path, method="account", card="")
    assert response["Location"] == "/esito/ok"
    assert Receipt.objects.get().body["paymentMethod"] == "BBT"


def test_declined_card_goes_to_the_error_url_and_pays_nothing(client, django_capture_on_commit_callbacks):
    path, _navs = open_cart()
    with capture_receipts() as captured, django_capture_on_commit_callbacks(execute=True):
        response = pay(client, path, card="4000 0000 0000 0002")
    assert response["Location"] == "/esito/errore"
    assert set(PaymentOption.objects.values_list("status", flat=True)) == {"PO_UNPAID"}
    assert not Receipt.objects.exists()
    assert captured.requests == []
    assert Checkout.objects.get().state == Checkout.State.DECLINED


def test_timeout_goes_to_the_waiting_url_and_the_receipts_come_later(client, django_capture_on_commit_callbacks):
    path, navs = open_cart()
    with capture_receipts() as captured:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = pay(client, path, card="4000000000000119")
        assert response["Location"] == "/esito/attesa"
        assert callbacks == []  # nothing is due now
        assert captured.requests == []
        assert set(PaymentOption.objects.values_list("status", flat=True)) == {"PO_PAID"}
        assert all(d.deliver_after > timezone.now() for d in ReceiptDelivery.objects.all())
        assert flush_receipts() == 2
    assert captured.notice_numbers == navs


def test_cancel_goes_to_the_cancel_url(client):
    path, _navs = open_cart()
    response = client.post(f"{path}annulla/")
    assert response["Location"] == "/esito/annullato"
    assert Checkout.objects.get().state == Checkout.State.CANCELLED
    assert set(PaymentOption.objects.values_list("status", flat=True)) == {"PO_UNPAID"}


@pytest.mark.parametrize(
    ("card", "psp", "message"),
    [
        ("4111 1111 1111 1111", None, "solo le carte di prova"),
        ("42", None, "16 cifre"),
        ("", None, "Inserisci il numero della carta"),
        ("4242424242424242", "NOPE", "Scegli"),
    ],
)
def test_bad_card_input_stays_on_the_page(client, card, psp, message):
    path, _navs = open_cart()
    response = pay(client, path, card=card, psp=psp)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Receipt.objects.exists()
    assert Checkout.objects.get().state == Checkout.State.OPEN


def test_a_notice_paid_elsewhere_meanwhile_fails_the_whole_cart(client):
    path, navs = open_cart()
    with capture_receipts():
        services.shop_pay(organization="00000000000", nav=navs[1], psp=psps_for("shop")[0])
        response = pay(client, path)
    content = response.content.decode()
    assert response.status_code == 200
    assert "già pagato" in content
    assert "PAA_PAGAMENTO_DUPLICATO" in content
    assert PaymentOption.objects.get(nav=navs[0]).status == "PO_UNPAID"
    assert Checkout.objects.get().state == Checkout.State.FAILED


def test_unknown_checkout_is_404(client):
    assert client.get("/mockpsp/checkout/nope/").status_code == 404


# --- pay at a shop ------------------------------------------------------------------------------------------------


def published(**kwargs) -> str:
    position = gateway_position(**kwargs)
    get_gateway().debt_position_create(position=position)
    return position.options[0].notice_number


def test_shop_verify_with_spaces_then_pay(client, django_capture_on_commit_callbacks):
    nav = published()
    response = client.get(
        "/mockpsp/psp/", {"notice_number": notice_number_grouped(nav), "creditor_fiscal_code": "00000000000"}
    )
    content = response.content.decode()
    assert "45,50\u00a0€" in content
    assert "Mensa scolastica" in content
    shop_psp = psps_for("shop")[0]
    assert content.index(shop_psp.name) < content.index(psps_for("shop")[-1].name)
    with capture_receipts() as captured, django_capture_on_commit_callbacks(execute=True):
        response = client.post("/mockpsp/psp/", {"nav": nav, "creditor": "00000000000", "psp": shop_psp.id})
    receipt = Receipt.objects.get()
    assert response["Location"] == f"/mockpsp/psp/ricevuta/{receipt.receipt_id}/"
    assert captured.bodies[0]["paymentMethod"] == "PO"
    assert captured.bodies[0]["fee"] == f"{shop_psp.fee_cents // 100}.{shop_psp.fee_cents % 100:02d}"
    assert "Pagamento eseguito" in client.get(response["Location"]).content.decode()


def test_shop_reads_the_qr_string(client):
    nav = published()
    qr = qr_payload(notice_number=nav, creditor_fiscal_code="00000000000", amount_cents=4550)
    response = client.get("/mockpsp/psp/", {"qr": qr})
    assert "45,50\u00a0€" in response.content.decode()


def test_shop_pay_without_choosing_a_psp_keeps_the_notice(client):
    nav = published()
    response = client.post("/mockpsp/psp/", {"nav": nav, "creditor": "00000000000"})
    assert response.status_code == 200
    assert "45,50\u00a0€" in response.content.decode()
    assert not Receipt.objects.exists()


def _verify(client, nav, creditor="00000000000") -> str:
    return client.get("/mockpsp/psp/", {"notice_number": nav, "creditor_fiscal_code": creditor}).content.decode()


def test_shop_faults_are_explained_in_italian(client):
    assert "Avviso non trovato" in _verify(client, nav_for())
    nav = published()
    assert "Avviso non trovato" in _verify(client, nav, creditor="99999999999")
    with capture_receipts():
        pay_notices_at_fake(None, [nav])
    assert "già pagato" in _verify(client, nav)
    cancelled = published()
    get_gateway().debt_position_invalidate(iupd=PaymentOption.objects.get(nav=cancelled).position.iupd)
    assert "annullato" in _verify(client, cancelled)


def test_shop_expired_notice_is_refused(client):
    nav = published(due_date=timezone.localdate() - datetime.timedelta(days=2))
    DebtPosition.objects.filter(options__nav=nav).update(switch_to_expired=True)
    assert "scaduto" in _verify(client, nav)
    assert DebtPosition.objects.get(options__nav=nav).status == "EXPIRED"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"notice_number": "1234"}, "18 cifre"),
        ({"notice_number": "301000000000012374", "creditor_fiscal_code": "00000000000"}, "controlla le cifre"),
        ({"notice_number": "301000000000012373", "creditor_fiscal_code": "123"}, "11 cifre"),
        ({"qr": "PAGOPA|001|x"}, "non è il contenuto"),
        ({"creditor_fiscal_code": "00000000000"}, "Inserisci il codice avviso"),
    ],
)
def test_shop_bad_input_is_explained(client, data, message):
    response = client.get("/mockpsp/psp/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
