"""Issuing notices: IUVs, one notice or many, their checks, and their publication on the pagoPA fake."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from mockpsp.models import DebtPosition as MockPosition
from payments import pagopa, services
from payments.errors import (
    AmountError,
    NoticeDataError,
    PlatformRejectedError,
)
from payments.gateway import GatewayRejectedError
from payments.models import Balance, IuvBase, LedgerEntry, PaymentNotice, PaymentOption
from payments.selectors import ledger_balance
from payments.services.positions import PLATFORM_REJECTED, PLATFORM_UNAVAILABLE
from payments.services.validation import causale_check
from tests.payments.factories import (
    child_make,
    notice_make,
    platform_down,
    publish,
)

pytestmark = pytest.mark.django_db

Status = PaymentNotice.Status


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


def test_transport_fee_notice_with_instalments_writes_no_ledger_entry(giulia, parent):
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
    # transport is billed by notice (ServiceKind.prepaid): no ledger debit, no balance
    assert not LedgerEntry.objects.exists()
    assert not Balance.objects.exists()


def test_fee_notice_of_a_prepaid_service_debits_its_balance_once(giulia, parent):
    """A one-off fee of the canteen (a lost card) is debited from the canteen balance the family tops up."""
    notice = notice_make(
        child=giulia,
        payer=parent,
        amount="12.00",
        purpose=PaymentNotice.Purpose.FEE,
        service_kind="canteen",
        causale="Duplicato tessera mensa",
        instalments=[("6.00", 30), ("6.00", 60)],
    )
    [entry] = LedgerEntry.objects.all()
    assert (entry.kind, entry.amount, entry.notice_id) == (LedgerEntry.Kind.FEE, Decimal("-12.00"), notice.pk)
    assert Balance.objects.get(child=giulia, service_kind="canteen").amount == Decimal("-12.00")


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
    assert not LedgerEntry.objects.exists()  # the nursery is billed by notice: no ledger debit
    assert ledger_balance(child=other, service_kind="nursery") == Decimal("0.00")
    canteen = [{**spec, "service_kind": "canteen"} for spec in specs[:3]]
    assert services.notices_issue_bulk(specs=canteen) == 3
    assert LedgerEntry.objects.filter(kind="fee").count() == 3
    assert Balance.objects.get(child=giulia, service_kind="canteen").amount == Decimal("-300.00")
    assert ledger_balance(child=other, service_kind="canteen") == Decimal("-150.00")


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


def test_causale_check_refuses_health_words_but_not_names():
    assert causale_check("Retta - Luca Medici", names=("Luca", "Medici")) == "Retta - Luca Medici"
    with pytest.raises(NoticeDataError):
        causale_check("Dieta per celiachia - Luca Medici", names=("Luca", "Medici"))
    with pytest.raises(NoticeDataError):
        causale_check("Retta - Luca Medici")
