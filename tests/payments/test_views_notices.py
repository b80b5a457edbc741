"""The parent's payment pages through the test client: the notices page and its cart, the top-up form."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import services as account_services
from mockpsp.models import Checkout as MockCheckout
from payments import pagopa, services
from payments.models import Cart, LedgerEntry, PaymentNotice
from tests.payments.factories import notice_make as notice_make_options
from tests.payments.factories import receipt_pay, topup_notice
from tests.payments.test_pdf import notice_make, receipt_make

pytestmark = pytest.mark.django_db

NOTICES = reverse("payments:notices")
TOPUP = reverse("payments:topup")
DOWN = "Il sistema pagoPA non risponde"


@pytest.fixture
def platform_down(settings):
    settings.PAGOPA_BASE_URL = "http://127.0.0.1:9/api"
    settings.PAGOPA_HTTP_TRANSPORT = ""
    settings.PAGOPA_TIMEOUT_SECONDS = 0.5
    settings.PAGOPA_RETRIES = 0


@pytest.fixture
def luca(parent):
    """Giulia's brother: two children in the family."""
    return account_services.child_add(
        adult=parent,
        codice_fiscale="RSSLCU20A01H501W",
        first_name="Luca",
        last_name="Rossi",
        birth_date=datetime.date(2020, 1, 1),
        sex="M",
    )


def checked_ids(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="notice" value="(\d+)" id="notice-\d+" checked', html)}


# --- access ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["payments:notices", "payments:topup", "payments:history"])
def test_pages_need_login(client, legal_documents, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- notices page ------------------------------------------------------------------------------------------------


def test_notices_page_lists_open_first_then_paid_with_receipt(parent_client, parent, giulia):
    paid = notice_make(child=giulia, payer=parent, amount="30.00", causale="Ricarica mensa - pagata")
    receipt = receipt_make(notice=paid)
    PaymentNotice.objects.filter(pk=paid.pk).update(status="paid", paid_at=receipt.paid_at)
    open_ = notice_make(child=giulia, payer=parent, amount="1234.50", causale="Trasporto - da pagare")
    html = parent_client.get(NOTICES).content.decode()
    assert html.index("Trasporto - da pagare") < html.index("Ricarica mensa - pagata")
    assert "1.234,50" in html
    assert f'value="{open_.pk}"' in html
    assert f'value="{paid.pk}"' not in html  # a paid notice has no checkbox
    assert "Pagato il 02/03/2026" in html
    assert reverse("payments:receipt_pdf", kwargs={"pk": receipt.pk}) in html
    assert reverse("payments:notice_pdf", kwargs={"pk": open_.pk}) in html
    assert "Giulia Rossi" in html


def test_notices_page_shows_balances_with_topup_links(parent_client, parent, giulia):
    services.ledger_record(
        child=giulia, service_kind="canteen", kind=LedgerEntry.Kind.ADJUSTMENT, amount=Decimal("-4.50"), reason="x"
    )
    html = parent_client.get(NOTICES).content.decode()
    assert "-4,50" in html
    assert f"{TOPUP}?child={giulia.pk}&amp;service=canteen" in html
    assert reverse("payments:ledger", kwargs={"child_id": giulia.pk}) in html


def test_paying_one_notice_online_redirects_to_the_checkout(parent_client, parent, giulia):
    notice = topup_notice(parent, giulia)
    response = parent_client.post(NOTICES, {"notice": [notice.pk]})
    assert response.status_code == 302
    cart = Cart.objects.get(user=parent)
    assert response["Location"] == cart.checkout_url
    assert "/mockpsp/" in cart.checkout_url
    assert list(cart.notices.all()) == [notice]
    notice.refresh_from_db()
    assert notice.status == PaymentNotice.Status.ISSUED


def test_more_than_five_notices_are_refused_and_the_selection_kept(parent_client, parent, giulia):
    ids = [notice_make(child=giulia, payer=parent, causale=f"Avviso {n}").pk for n in range(6)]
    response = parent_client.post(NOTICES, {"notice": ids})
    assert response.status_code == 200
    html = response.content.decode()
    assert "al massimo 5 avvisi" in html
    assert checked_ids(html) == set(ids)
    assert not Cart.objects.exists()


def test_five_notices_go_into_one_cart(parent_client, parent, giulia):
    ids = [topup_notice(parent, giulia, amount=f"{n + 1}.00").pk for n in range(5)]
    response = parent_client.post(NOTICES, {"notice": ids})
    assert response.status_code == 302
    assert Cart.objects.get().notices.count() == 5


def test_a_paid_notice_in_the_cart_is_refused_with_the_selection_kept(parent_client, parent, giulia):
    open_ = topup_notice(parent, giulia)
    paid = notice_make(child=giulia, payer=parent, causale="Ricarica già pagata", status="paid")
    response = parent_client.post(NOTICES, {"notice": [open_.pk, paid.pk]})
    html = response.content.decode()
    assert response.status_code == 200
    assert "non si può più pagare" in html
    assert "Ricarica già pagata" in html
    assert open_.pk in checked_ids(html)
    assert not Cart.objects.exists()


def test_another_familys_notice_in_the_cart_is_refused(parent_client, parent, giulia, other_parent):
    other_child = account_services.child_add(
        adult=other_parent,
        codice_fiscale="BNCMRC19A01F205V",
        first_name="Marco",
        last_name="Bianchi",
        birth_date=datetime.date(2019, 1, 1),
        sex="M",
    )
    theirs = notice_make(child=other_child, payer=other_parent, causale="Ricarica Marco")
    mine = notice_make(child=giulia, payer=parent)
    response = parent_client.post(NOTICES, {"notice": [mine.pk, theirs.pk]})
    html = response.content.decode()
    assert response.status_code == 200
    assert "non è tra quelli della tua famiglia" in html
    assert "Ricarica Marco" not in html
    assert checked_ids(html) == {mine.pk}
    assert not Cart.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [({}, "Scegli almeno un avviso"), ({"notice": ["abc"]}, "Selezione non valida")],
)
def test_bad_cart_selection(parent_client, parent, giulia, data, message):
    notice_make(child=giulia, payer=parent)
    response = parent_client.post(NOTICES, data)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_platform_down_offers_the_notice_pdf(parent_client, parent, giulia, platform_down):
    notice = notice_make(child=giulia, payer=parent)
    response = parent_client.post(NOTICES, {"notice": [notice.pk]})
    html = response.content.decode()
    assert response.status_code == 200
    assert DOWN in html
    assert "scaricare l'avviso e pagarlo presso" in html
    assert reverse("payments:notice_pdf", kwargs={"pk": notice.pk}) in html
    assert notice.pk in checked_ids(html)
    assert not Cart.objects.filter(status=Cart.Status.PENDING).exists()


# --- top-up ------------------------------------------------------------------------------------------------------


def test_topup_form_is_prefilled_from_the_querystring(parent_client, giulia, luca):
    html = parent_client.get(f"{TOPUP}?child={luca.pk}&service=canteen").content.decode()
    assert f'<option value="{luca.pk}" selected>' in html
    assert '<option value="canteen" selected>' in html


def test_topup_form_offers_only_the_prepaid_services(parent_client, giulia):
    html = parent_client.get(f"{TOPUP}?child={giulia.pk}&service=transport").content.decode()
    assert '<option value="canteen"' in html
    assert 'value="transport"' not in html
    assert 'value="nursery"' not in html


@pytest.mark.parametrize("kind", ["transport", "nursery"])
def test_topup_of_a_service_billed_by_notice_is_refused_in_italian(parent_client, giulia, kind):
    response = parent_client.post(TOPUP, {"child": giulia.pk, "service_kind": kind, "amount": "40", "action": "shop"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "non ha un credito da ricaricare: si paga con gli avvisi di pagamento" in html
    assert 'value="40"' in html
    assert not PaymentNotice.objects.exists()


def test_topup_without_children_sends_to_add_one(parent_client):
    html = parent_client.get(TOPUP).content.decode()
    assert reverse("accounts:child_add") in html


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "maggiore di zero"),
        ("0,00", "maggiore di zero"),
        ("-5", "non può essere negativo"),
        ("12,345", "Al massimo due cifre dopo la virgola"),
        ("0.500", "per i centesimi usa la virgola"),
        ("500,01", "al massimo di 500,00 €"),
        ("dodici", "Scrivi solo cifre"),
        ("", "Inserisci un importo"),
    ],
)
def test_topup_bad_amounts_are_explained_and_kept(parent_client, giulia, typed, message):
    response = parent_client.post(
        TOPUP, {"child": giulia.pk, "service_kind": "canteen", "amount": typed, "action": "shop"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'value="{typed}"' in html or not typed
    assert f'<option value="{giulia.pk}" selected>' in html
    assert not PaymentNotice.objects.exists()


@pytest.mark.parametrize("typed", ["12,50", "12.50", "12.5", " 12,50 € "])
def test_topup_at_a_shop_creates_the_notice_and_shows_it(parent_client, parent, giulia, typed):
    response = parent_client.post(
        TOPUP, {"child": giulia.pk, "service_kind": "canteen", "amount": typed, "action": "shop"}
    )
    notice = PaymentNotice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:notice_detail", kwargs={"pk": notice.pk})
    assert notice.amount == Decimal("12.50")
    assert notice.payer == parent
    html = parent_client.get(response["Location"]).content.decode()
    assert "Avviso creato" in html
    assert pagopa.notice_number_grouped(notice.options.get().notice_number) in html
    assert reverse("payments:notice_pdf", kwargs={"pk": notice.pk}) in html
    assert "Come pagare" in html


def test_topup_online_goes_to_the_checkout(parent_client, parent, giulia):
    response = parent_client.post(
        TOPUP, {"child": giulia.pk, "service_kind": "canteen", "amount": "40", "action": "online"}
    )
    cart = Cart.objects.get()
    assert response.status_code == 302
    assert response["Location"] == cart.checkout_url
    assert cart.notices.get().service_kind == "canteen"


def test_topup_online_with_the_platform_down_keeps_the_notice(parent_client, parent, giulia, platform_down):
    response = parent_client.post(
        TOPUP, {"child": giulia.pk, "service_kind": "canteen", "amount": "25", "action": "online"}, follow=True
    )
    notice = PaymentNotice.objects.get()
    assert response.redirect_chain[-1][0] == reverse("payments:notice_detail", kwargs={"pk": notice.pk})
    html = response.content.decode()
    assert DOWN in html
    assert reverse("payments:notice_pdf", kwargs={"pk": notice.pk}) in html


def test_topup_for_a_child_of_another_family_is_refused(parent_client, giulia, other_parent):
    other_child = account_services.child_add(
        adult=other_parent,
        codice_fiscale="BNCMRC19A01F205V",
        first_name="Marco",
        last_name="Bianchi",
        birth_date=datetime.date(2019, 1, 1),
        sex="M",
    )
    response = parent_client.post(
        TOPUP, {"child": other_child.pk, "service_kind": "canteen", "amount": "10", "action": "shop"}
    )
    assert response.status_code == 200
    assert "Scegli uno dei tuoi figli" in response.content.decode()
    assert "Marco" not in response.content.decode()
    assert not PaymentNotice.objects.exists()


# --- a notice in instalments: the whole amount or the next instalment (issue 10, item 3) -------------------------


def _in_instalments(parent, child) -> PaymentNotice:
    return notice_make_options(
        child=child,
        payer=parent,
        amount="300.00",
        purpose="fee",
        service_kind="transport",
        causale="Trasporto scolastico a.s. 2026/2027",
        instalments=[("100.00", 30), ("100.00", 120), ("100.00", 240)],
    )


def _checkout_items() -> list[tuple[str, int]]:
    checkout = MockCheckout.objects.order_by("-pk").first()
    return [(item["noticeNumber"], int(item["amount"])) for item in checkout.items]


def test_the_payments_page_offers_the_whole_amount_or_the_next_instalment(parent_client, parent, giulia):
    notice = _in_instalments(parent, giulia)
    whole, first = notice.options.get(instalment=0), notice.options.get(instalment=1)
    html = parent_client.get(NOTICES).content.decode().replace("\u00a0", " ")
    assert f'name="option-{notice.pk}" value="{whole.pk}" id="option-{whole.pk}" checked' in html
    assert f'name="option-{notice.pk}" value="{first.pk}" id="option-{first.pk}">' in html
    assert "Tutto l'importo: 300,00 €" in html
    assert f"Solo la rata 1 di 3: 100,00 € entro il {first.due_date:%d/%m/%Y}" in html
    assert f'value="{notice.options.get(instalment=2).pk}"' not in html  # only the next one


def test_choosing_the_instalment_pays_that_option(parent_client, parent, giulia):
    notice = _in_instalments(parent, giulia)
    first = notice.options.get(instalment=1)
    response = parent_client.post(NOTICES, {"notice": [notice.pk], f"option-{notice.pk}": first.pk})
    assert response.status_code == 302
    assert response["Location"] == Cart.objects.get().checkout_url
    assert _checkout_items() == [(first.notice_number, 10000)]


def test_choosing_the_whole_amount_pays_the_single_payment_option(parent_client, parent, giulia):
    notice = _in_instalments(parent, giulia)
    whole = notice.options.get(instalment=0)
    response = parent_client.post(NOTICES, {"notice": [notice.pk], f"option-{notice.pk}": whole.pk})
    assert response.status_code == 302
    assert _checkout_items() == [(whole.notice_number, 30000)]


def test_after_the_first_instalment_the_next_one_is_offered_alone(parent_client, parent, giulia):
    notice = _in_instalments(parent, giulia)
    receipt_pay(notice.options.get(instalment=1))
    second = notice.options.get(instalment=2)
    html = parent_client.get(NOTICES).content.decode()
    assert f'name="option-{notice.pk}"' not in html  # one choice only: no radio
    whole = notice.options.get(instalment=0)
    response = parent_client.post(NOTICES, {"notice": [notice.pk], f"option-{notice.pk}": whole.pk})
    assert response.status_code == 200
    assert "non si può pagare ora" in response.content.decode()
    assert not Cart.objects.exists()
    parent_client.post(NOTICES, {"notice": [notice.pk]})
    assert _checkout_items() == [(second.notice_number, 10000)]


def test_an_option_of_another_notice_is_refused(parent_client, parent, giulia):
    notice = _in_instalments(parent, giulia)
    other = _in_instalments(parent, giulia)
    response = parent_client.post(
        NOTICES, {"notice": [notice.pk], f"option-{notice.pk}": other.options.get(instalment=1).pk}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "non si può pagare ora" in html
    assert f'id="option-{other.options.get(instalment=1).pk}" checked' in html  # the choice is kept
    assert not Cart.objects.exists()
