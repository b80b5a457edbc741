"""Notices, top-ups, carts, cancellation and expiry: the payment services against the pagoPA fake (in process)."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from payments import pagopa, services
from payments.errors import (
    AmountError,
    CartError,
    NotFoundError,
    NoticeDataError,
    PlatformRejectedError,
    PlatformUnavailableError,
)
from payments.gateway import GatewayRejectedError, GatewayUnavailableError, ReturnUrls
from payments.mockpsp.models import DebtPosition as MockPosition
from payments.models import Balance, Cart, IuvBase, LedgerEntry, PaymentNotice, PaymentOption
from payments.selectors import ledger_balance
from payments.services.positions import PLATFORM_REJECTED, PLATFORM_UNAVAILABLE
from payments.services.validation import causale_check
from portal.errors import TransitionNotAllowedError
from tests.payments.factories import child_make, notice_make, parent_make, receipt_pay, single_option

pytestmark = pytest.mark.django_db

Status = PaymentNotice.Status
URLS = ReturnUrls(
    ok="http://testserver/pagamenti/carrello/{public_id}/esito/ok/",
    cancel="http://testserver/pagamenti/carrello/{public_id}/esito/cancel/",
    error="http://testserver/pagamenti/carrello/{public_id}/esito/error/",
    waiting="http://testserver/pagamenti/carrello/{public_id}/esito/waiting/",
)


class DownGateway:
    """The platform does not answer anything."""

    def __getattr__(self, name):
        def call(**kwargs):
            raise GatewayUnavailableError("pagoPA non risponde (test)")

        return call


def platform_down():
    return mock.patch("payments.gateway.get_gateway", return_value=DownGateway())


def publish(notice: PaymentNotice) -> PaymentNotice:
    services.notice_publish(notice_id=notice.pk)
    notice.refresh_from_db()
    return notice


# --- IUV ---------------------------------------------------------------------------------------------------------


def test_iuv_allocate_gives_valid_new_numbers_with_the_configured_segregation_code(settings):
    settings.PAGOPA_SEGREGATION_CODE = 7
    pairs = services.iuv_allocate(count=50) + services.iuv_allocate(count=3)
    numbers = [number for _iuv, number in pairs]
    assert len(set(numbers)) == 53
    for iuv, number in pairs:
        assert pagopa.notice_number_is_valid(number)
        assert number.startswith("307")
        assert iuv == number[1:]
        assert len(iuv) == 17
    assert IuvBase.objects.count() == 53
    assert services.iuv_allocate(count=0) == []


# --- issue -------------------------------------------------------------------------------------------------------


def test_notice_issue_copies_the_payer_and_creates_the_single_option(giulia, parent, settings):
    notice = notice_make(child=giulia, payer=parent, amount="45.50")
    assert notice.status == Status.ISSUED
    assert notice.payer_fiscal_code == parent.codice_fiscale
    assert notice.payer_name == "Maria Rossi"
    assert notice.iupd.startswith(settings.PAGOPA_CREDITOR_FISCAL_CODE)
    assert len(notice.iupd) == 43
    [option] = notice.options.all()
    assert (option.instalment, option.amount, option.due_date) == (0, Decimal("45.50"), notice.due_date)
    assert pagopa.notice_number_is_valid(option.notice_number)
    assert not LedgerEntry.objects.exists()  # a top-up moves the balance only when paid


def test_fee_notice_with_instalments_debits_the_ledger_once(giulia, parent):
    notice = notice_make(
        child=giulia,
        payer=parent,
        amount="300.00",
        purpose=PaymentNotice.Purpose.FEE,
        service_kind="transport",
        causale="Trasporto scolastico a.s. 2026/2027 - Giulia Rossi",
        instalments=[("100.00", 30), ("100.00", 120), ("100.00", 240)],
    )
    options = list(notice.options.order_by("instalment"))
    assert [(o.instalment, o.amount) for o in options] == [
        (0, Decimal("300.00")),
        (1, Decimal("100.00")),
        (2, Decimal("100.00")),
        (3, Decimal("100.00")),
    ]
    assert len({o.notice_number for o in options}) == 4
    [entry] = LedgerEntry.objects.all()
    assert (entry.kind, entry.amount, entry.notice_id) == (LedgerEntry.Kind.FEE, Decimal("-300.00"), notice.pk)
    assert Balance.objects.get(child=giulia, service_kind="transport").amount == Decimal("-300.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("0"), "maggiore di zero"),
        (Decimal("-5.00"), "maggiore di zero"),
        (Decimal("12.505"), "due cifre"),
        (12.5, "decimale"),
        (Decimal("1000000000.00"), "massimo"),
    ],
)
def test_notice_issue_refuses_bad_amounts_and_writes_nothing(giulia, parent, amount, message):
    with pytest.raises(AmountError, match=message):
        services.notice_issue(
            child=giulia,
            service_kind="canteen",
            purpose="topup",
            amount=amount,
            causale="Ricarica mensa",
            due_date=timezone.localdate(),
            payer=parent,
        )
    assert not PaymentNotice.objects.exists()
    assert not IuvBase.objects.exists()


@pytest.mark.parametrize(
    "causale",
    [
        "",
        "x" * 141,
        "Retta nido - dieta per celiachia - Giulia",
        "Mensa fascia ISEE 3 - Giulia Rossi",
        "Trasporto alunno disabile L. 104",
        "Mensa - allergia arachidi",
    ],
)
def test_notice_issue_refuses_an_empty_long_or_sensitive_causale(giulia, parent, causale):
    with pytest.raises(NoticeDataError):
        notice_make(child=giulia, payer=parent, causale=causale)
    assert not PaymentNotice.objects.exists()


def test_notice_issue_refuses_a_past_due_date_and_instalments_that_do_not_add_up(giulia, parent):
    with pytest.raises(NoticeDataError, match="passato"):
        notice_make(child=giulia, payer=parent, due_in_days=-1)
    with pytest.raises(NoticeDataError, match="somma"):
        notice_make(child=giulia, payer=parent, amount="300.00", instalments=[("100.00", 30), ("150.00", 60)])
    assert not PaymentNotice.objects.exists()


def test_notice_is_published_after_commit(giulia, parent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_make(child=giulia, payer=parent, amount="20.00")
    notice.refresh_from_db()
    assert notice.platform_state == PaymentNotice.PlatformState.VALID
    position = MockPosition.objects.get(iupd=notice.iupd)
    assert position.status == "VALID"
    assert position.payer_fiscal_code == parent.codice_fiscale
    assert [o.amount_cents for o in position.options.all()] == [2000]


def test_a_rolled_back_issue_publishes_nothing(giulia, parent, django_capture_on_commit_callbacks):
    def failing_caller():
        with transaction.atomic():
            notice_make(child=giulia, payer=parent)
            raise RuntimeError("the caller failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        failing_caller()
    assert callbacks == []
    assert not PaymentNotice.objects.exists()
    assert not MockPosition.objects.exists()


def test_notice_publish_is_idempotent(giulia, parent):
    notice = publish(notice_make(child=giulia, payer=parent))
    with mock.patch("payments.gateway.get_gateway") as gateway:
        assert services.notice_publish(notice_id=notice.pk) == "VALID"
    gateway.assert_not_called()
    assert MockPosition.objects.filter(iupd=notice.iupd).count() == 1


def test_notice_publish_after_a_lost_answer_reads_the_position_back(giulia, parent):
    """The platform created the position but its answer was lost: the retry gets 409 and reads the state."""
    notice = publish(notice_make(child=giulia, payer=parent))
    PaymentNotice.objects.filter(pk=notice.pk).update(platform_state="", platform_error="Non raggiungibile: timeout")
    assert services.notice_publish(notice_id=notice.pk) == "VALID"
    notice.refresh_from_db()
    assert (notice.platform_state, notice.platform_error) == ("VALID", "")


def test_platform_down_at_issue_leaves_the_notice_to_the_beat_job(giulia, parent, django_capture_on_commit_callbacks):
    with platform_down(), django_capture_on_commit_callbacks(execute=True):
        notice = notice_make(child=giulia, payer=parent)  # does not raise: the request that issued it succeeds
    notice.refresh_from_db()
    assert notice.platform_state == ""
    assert notice.platform_error.startswith(PLATFORM_UNAVAILABLE)

    with platform_down():
        assert services.notices_publish_pending(min_age_seconds=0) == 0
    assert services.notices_publish_pending(min_age_seconds=0) == 1
    notice.refresh_from_db()
    assert (notice.platform_state, notice.platform_error) == ("VALID", "")


def test_a_refused_notice_is_recorded_and_not_retried(giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    refusing = mock.Mock()
    refusing.debt_position_create.side_effect = GatewayRejectedError("taxonomy", status=400, code="PAA_SINTASSI")
    with (
        mock.patch("payments.gateway.get_gateway", return_value=refusing),
        pytest.raises(PlatformRejectedError),
    ):
        services.notice_publish(notice_id=notice.pk)
    notice.refresh_from_db()
    assert notice.platform_error.startswith(PLATFORM_REJECTED)
    assert services.notices_publish_pending(min_age_seconds=0) == 0


def test_notices_issue_bulk_writes_every_notice_option_and_fee(giulia, parent):
    other = child_make(adult=parent, first_name="Marco", last_name="Rossi")
    due = timezone.localdate() + datetime.timedelta(days=20)
    specs = [
        {
            "child": child,
            "service_kind": "nursery",
            "purpose": "fee",
            "amount": Decimal("150.00"),
            "causale": f"Retta nido ottobre - {child.first_name}",
            "due_date": due,
            "payer": parent,
        }
        for child in (giulia, other, giulia)
    ]
    specs.append({**specs[0], "purpose": "topup", "instalments": [(Decimal("75.00"), due), (Decimal("75.00"), due)]})
    assert services.notices_issue_bulk(specs=specs) == 4
    assert PaymentNotice.objects.count() == 4
    assert PaymentOption.objects.count() == 6
    assert len(set(PaymentOption.objects.values_list("notice_number", flat=True))) == 6
    assert LedgerEntry.objects.filter(kind="fee").count() == 3
    assert Balance.objects.get(child=giulia, service_kind="nursery").amount == Decimal("-300.00")
    assert ledger_balance(child=other, service_kind="nursery") == Decimal("-150.00")


def test_notices_issue_bulk_checks_everything_before_writing(giulia, parent):
    due = timezone.localdate() + datetime.timedelta(days=20)
    good = {
        "child": giulia,
        "service_kind": "nursery",
        "purpose": "fee",
        "amount": Decimal("150.00"),
        "causale": "Retta nido",
        "due_date": due,
        "payer": parent,
    }
    with pytest.raises(AmountError, match=r"Avviso n\. 3"):
        services.notices_issue_bulk(specs=[good, good, {**good, "amount": Decimal("0.001")}])
    assert not PaymentNotice.objects.exists()
    assert not LedgerEntry.objects.exists()


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
    notice = services.topup_create(user=other_parent, child_id=giulia.pk, service_kind="nursery", amount="10")
    assert notice.payer_fiscal_code == other_parent.codice_fiscale
    assert notice.causale.startswith("Ricarica nido - Giulia Rossi")


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


# --- cancel and expire -------------------------------------------------------------------------------------------


def test_cancel_invalidates_on_the_platform_and_reverses_the_fee(giulia, parent, staff_user):
    notice = publish(notice_make(child=giulia, payer=parent, purpose="fee", amount="80.00", causale="Retta nido"))
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("-80.00")
    cancelled = services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="Iscrizione ritirata")
    assert cancelled.status == Status.CANCELLED
    assert (cancelled.closed_by, cancelled.closed_reason) == (staff_user, "Iscrizione ritirata")
    assert cancelled.platform_state == "INVALID"
    assert MockPosition.objects.get(iupd=notice.iupd).status == "INVALID"
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("0.00")
    adjustment = LedgerEntry.objects.get(kind="adjustment")
    assert adjustment.amount == Decimal("80.00")
    assert "Iscrizione ritirata" in adjustment.reason
    # idempotent: nothing moves the second time
    services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="di nuovo")
    assert LedgerEntry.objects.count() == 2


def test_cancel_is_refused_while_the_platform_is_down(giulia, parent, staff_user):
    notice = publish(notice_make(child=giulia, payer=parent))
    with platform_down(), pytest.raises(PlatformUnavailableError):
        services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="errore")
    notice.refresh_from_db()
    assert notice.status == Status.ISSUED
    assert MockPosition.objects.get(iupd=notice.iupd).status == "VALID"


def test_a_never_published_notice_is_cancelled_locally(giulia, parent, staff_user):
    notice = notice_make(child=giulia, payer=parent)
    with platform_down():
        services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="doppione")
    notice.refresh_from_db()
    assert notice.status == Status.CANCELLED
    assert services.notice_publish(notice_id=notice.pk) == ""  # a late publication task does nothing
    assert not MockPosition.objects.exists()


def test_cancel_needs_a_reason_and_an_unpaid_notice(giulia, parent, staff_user):
    notice = notice_make(child=giulia, payer=parent)
    with pytest.raises(NoticeDataError):
        services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="  ")
    receipt_pay(single_option(notice))
    with pytest.raises(TransitionNotAllowedError):
        services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="errore")
    with pytest.raises(NotFoundError):
        services.notice_cancel(notice_id=0, actor=staff_user, reason="errore")


def test_expire_overdue_moves_only_open_notices_past_every_due_date(giulia, parent, time_machine):
    today = timezone.localdate()
    due_soon = notice_make(child=giulia, payer=parent, due_in_days=1)
    later = notice_make(child=giulia, payer=parent, due_in_days=10)
    instalments = notice_make(
        child=giulia, payer=parent, amount="20.00", due_in_days=1, instalments=[("10.00", 1), ("10.00", 60)]
    )
    paid = notice_make(child=giulia, payer=parent, due_in_days=1)
    receipt_pay(single_option(paid))
    assert services.notices_expire_overdue(today=today + datetime.timedelta(days=1)) == 0
    assert services.notices_expire_overdue(today=today + datetime.timedelta(days=2)) == 1
    statuses = dict(PaymentNotice.objects.values_list("pk", "status"))
    assert statuses == {due_soon.pk: "expired", later.pk: "issued", instalments.pk: "issued", paid.pk: "paid"}
    assert services.notices_expire_overdue(today=today + datetime.timedelta(days=61)) == 2


@pytest.fixture
def staff_user(db):
    return parent_make(first_name="Ufficio", last_name="Scuola")


# --- privacy -----------------------------------------------------------------------------------------------------


def test_a_payer_is_anonymised_not_deleted_and_their_payments_are_in_the_export(giulia, parent, other_parent):
    from payments.privacy import RETENTION_REASON
    from portal.privacy import personal_data_collect, retention_reasons

    assert RETENTION_REASON not in retention_reasons(user=parent)
    notice = notice_make(child=giulia, payer=parent)
    receipt_pay(single_option(notice))
    assert RETENTION_REASON in retention_reasons(user=parent)
    assert RETENTION_REASON not in retention_reasons(user=other_parent)
    data = personal_data_collect(user=parent)["pagamenti"]
    assert [n["causale"] for n in data["avvisi"]] == [notice.causale]
    assert len(data["ricevute"]) == 1
    assert personal_data_collect(user=other_parent)["pagamenti"] == {"avvisi": [], "ricevute": []}


def test_causale_check_refuses_health_words_but_not_names():
    assert causale_check("Retta - Luca Medici", names=("Luca", "Medici")) == "Retta - Luca Medici"
    with pytest.raises(NoticeDataError):
        causale_check("Dieta per celiachia - Luca Medici", names=("Luca", "Medici"))
    with pytest.raises(NoticeDataError):
        causale_check("Retta - Luca Medici")
