"""Top-ups and carts: the notice a parent asks for, the cart sent to the checkout, the return from it."""

import datetime
from decimal import Decimal

import pytest

from payments import services
from payments.errors import (
    AmountError,
    CartError,
    NotFoundError,
    NoticeDataError,
)
from payments.gateway import GatewayUnavailableError
from payments.models import Balance, Cart, LedgerEntry, PaymentNotice
from tests.payments.factories import (
    URLS,
    child_make,
    notice_make,
    platform_down,
    publish,
    receipt_pay,
    single_option,
)

pytestmark = pytest.mark.django_db

Status = PaymentNotice.Status


# --- top-up ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["12,50", "12.50", Decimal("12.50")])
def test_topup_accepts_comma_and_dot(giulia, parent, typed):
    notice = services.topup_create(user=parent, child_id=giulia.pk, service_kind="canteen", amount=typed)
    assert notice.amount == Decimal("12.50")


def test_topup_creates_a_notice_for_the_parent(giulia, parent, settings, time_machine):
    time_machine.move_to(datetime.datetime(2026, 10, 5, 10, 0, tzinfo=datetime.UTC))
    notice = services.topup_create(user=parent, child_id=giulia.pk, service_kind="canteen", amount=Decimal("50"))
    assert notice.causale == "Ricarica mensa - Giulia Rossi - a.s. 2026/2027"
    assert notice.purpose == PaymentNotice.Purpose.TOPUP
    assert notice.due_date == datetime.date(2026, 10, 5) + datetime.timedelta(days=settings.PAYMENTS_TOPUP_DUE_DAYS)
    assert (notice.payer, notice.created_by) == (parent, parent)
    assert notice.amount == Decimal("50.00")
    assert not Balance.objects.exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "maggiore di zero"),
        ("0,00", "maggiore di zero"),
        ("-5", "negativo"),
        ("12,505", "due cifre"),
        ("500,01", "massimo"),
        ("dodici", "cifre"),
        ("", "Inserisci"),
    ],
)
def test_topup_refuses_bad_amounts_with_an_italian_message(giulia, parent, typed, message):
    with pytest.raises(AmountError, match=message):
        services.topup_create(user=parent, child_id=giulia.pk, service_kind="canteen", amount=typed)
    assert not PaymentNotice.objects.exists()


def test_topup_up_to_the_maximum_is_fine(giulia, parent, settings):
    notice = services.topup_create(user=parent, child_id=giulia.pk, service_kind="canteen", amount="500,00")
    assert notice.amount == settings.PAYMENTS_TOPUP_MAX


def test_topup_for_another_familys_child_is_not_found(giulia, other_parent):
    with pytest.raises(NotFoundError):
        services.topup_create(user=other_parent, child_id=giulia.pk, service_kind="canteen", amount="10")
    with pytest.raises(NotFoundError):
        services.topup_create(user=other_parent, child_id="nope", service_kind="canteen", amount="10")
    assert not PaymentNotice.objects.exists()


def test_topup_by_a_delegate_makes_the_delegate_the_payer(giulia, other_parent):
    from tests.payments.factories import delegate_add

    delegate_add(child=giulia, adult=other_parent)
    notice = services.topup_create(user=other_parent, child_id=giulia.pk, service_kind="canteen", amount="10")
    assert notice.payer_fiscal_code == other_parent.codice_fiscale
    assert notice.causale.startswith("Ricarica mensa - Giulia Rossi")


@pytest.mark.parametrize("kind", ["transport", "nursery"])
def test_a_service_billed_by_notice_has_no_topup(giulia, parent, kind):
    with pytest.raises(NoticeDataError, match="non ha un credito da ricaricare"):
        services.topup_create(user=parent, child_id=giulia.pk, service_kind=kind, amount="10")
    assert not PaymentNotice.objects.exists()


# --- cart --------------------------------------------------------------------------------------------------------


def test_cart_open_publishes_and_returns_the_checkout_url(giulia, parent):
    first = notice_make(child=giulia, payer=parent, amount="10.00")
    second = publish(notice_make(child=giulia, payer=parent, amount="20.00"))
    cart = services.cart_open(user=parent, notice_ids=[first.pk, second.pk], return_urls=URLS)
    assert cart.status == Cart.Status.PENDING
    assert "/mockpsp/checkout/" in cart.checkout_url
    assert set(cart.notices.all()) == {first, second}
    first.refresh_from_db()
    assert first.platform_state == "VALID"  # published on the way
    assert first.status == second.status == Status.ISSUED  # opening a cart pays nothing


def test_cart_of_six_notices_is_refused(giulia, parent):
    ids = [notice_make(child=giulia, payer=parent).pk for _n in range(6)]
    with pytest.raises(CartError, match="al massimo 5"):
        services.cart_open(user=parent, notice_ids=ids, return_urls=URLS)
    with pytest.raises(CartError, match="almeno"):
        services.cart_open(user=parent, notice_ids=[], return_urls=URLS)
    assert not Cart.objects.exists()


def test_cart_with_another_familys_notice_is_not_found(giulia, parent, other_parent):
    mine = notice_make(child=giulia, payer=parent)
    theirs = notice_make(child=child_make(adult=other_parent), payer=other_parent)
    with pytest.raises(NotFoundError):
        services.cart_open(user=parent, notice_ids=[mine.pk, theirs.pk], return_urls=URLS)
    assert not Cart.objects.exists()


def test_cart_with_a_paid_notice_names_it(giulia, parent):
    paid = notice_make(child=giulia, payer=parent, causale="Ricarica mensa di settembre")
    receipt_pay(single_option(paid))
    other = notice_make(child=giulia, payer=parent)
    with pytest.raises(CartError, match="Ricarica mensa di settembre"):
        services.cart_open(user=parent, notice_ids=[other.pk, paid.pk], return_urls=URLS)
    assert not Cart.objects.exists()


def test_platform_down_at_pay_online_reaches_the_view(giulia, parent):
    notice = publish(notice_make(child=giulia, payer=parent))
    with platform_down(), pytest.raises(GatewayUnavailableError):
        services.cart_open(user=parent, notice_ids=[notice.pk], return_urls=URLS)
    assert Cart.objects.get().status == Cart.Status.FAILED
    notice.refresh_from_db()
    assert notice.status == Status.ISSUED


def test_platform_down_while_publishing_for_a_cart_reaches_the_view(giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    with platform_down(), pytest.raises(GatewayUnavailableError):
        services.cart_open(user=parent, notice_ids=[notice.pk], return_urls=URLS)
    assert not Cart.objects.exists()


def test_cart_return_records_the_outcome_and_never_pays(giulia, parent, other_parent):
    notice = notice_make(child=giulia, payer=parent)
    cart = services.cart_open(user=parent, notice_ids=[notice.pk], return_urls=URLS)
    with pytest.raises(NotFoundError):
        services.cart_return(user=other_parent, public_id=cart.public_id, outcome="ok")
    cart = services.cart_return(user=parent, public_id=cart.public_id, outcome="ok")
    assert cart.status == Cart.Status.RETURNED_OK
    notice.refresh_from_db()
    assert notice.status == Status.ISSUED
    assert not LedgerEntry.objects.exists()
    assert services.cart_return(user=parent, public_id=cart.public_id, outcome="cancel").status == "ok"
