"""Balance reminders fire once per crossing; the arrears sollecito carries a pagoPA notice; end-of-year requests move
money only through the ledger."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum

from canteen import services
from canteen.errors import CanteenError
from canteen.models import Attendance, BalanceAlert, LowBalanceThreshold, YearEndRequest
from payments.models import Balance, LedgerEntry, PaymentNotice
from payments.services import ledger_record
from portal.models import OutboxEmail
from tests.enrollment.factories import child_of

D = datetime.date


def eat(enrollment, day):
    Attendance.objects.update_or_create(enrollment=enrollment, date=day, defaults={"present": True})
    services.meals_settle(day=day, enrollment_ids=[enrollment.pk])


def top_up(child, amount):
    ledger_record(child=child, service_kind="canteen", kind="topup", amount=Decimal(amount), reason="Ricarica")


def emails(kind):
    return OutboxEmail.objects.filter(kind=kind).count()


@pytest.mark.django_db
def test_low_balance_once_per_crossing(meal_enrollment, now_at):
    now_at(2026, 12, 3, 20, 0, 0)
    child = meal_enrollment.child
    top_up(child, "30.00")  # default threshold: 5 meals x 4,50 = 22,50
    services.balance_reminders()
    assert emails("canteen_low_balance") == 0
    eat(meal_enrollment, D(2026, 12, 1))
    eat(meal_enrollment, D(2026, 12, 2))  # 21,00: below
    services.balance_reminders()
    services.balance_reminders()
    assert emails("canteen_low_balance") == 1
    email = OutboxEmail.objects.get(kind="canteen_low_balance")
    assert email.to == ["maria.rossi@example.it"]
    assert "21,00" in email.body_text
    assert "/pagamenti/ricarica/" in email.body_text
    top_up(child, "20.00")
    services.balance_reminders()
    assert BalanceAlert.objects.get().cleared_at is not None
    for day in (D(2026, 12, 3), D(2026, 12, 4), D(2026, 12, 7), D(2026, 12, 9), D(2026, 12, 10)):
        eat(meal_enrollment, day)
    services.balance_reminders()
    assert emails("canteen_low_balance") == 2


@pytest.mark.django_db
def test_the_parents_threshold_wins(meal_enrollment, parent, now_at):
    now_at(2026, 12, 3, 20, 0, 0)
    child = meal_enrollment.child
    services.threshold_set(user=parent, child=child, amount=Decimal("5.00"))
    top_up(child, "10.00")
    eat(meal_enrollment, D(2026, 12, 1))  # 5,50: above 5
    services.balance_reminders()
    assert emails("canteen_low_balance") == 0
    eat(meal_enrollment, D(2026, 12, 2))  # 1,00
    services.balance_reminders()
    assert emails("canteen_low_balance") == 1
    with pytest.raises(CanteenError):
        services.threshold_set(user=parent, child=child, amount=Decimal("900"))
    assert LowBalanceThreshold.objects.get().amount == Decimal("5.00")


@pytest.mark.django_db
def test_arrears_wait_the_offices_days_then_one_sollecito_with_a_notice(meal_enrollment, policy):
    child = meal_enrollment.child
    for day in (D(2026, 11, 23), D(2026, 11, 24), D(2026, 11, 25)):  # -13,50, beyond the 10 € overdraft
        eat(meal_enrollment, day)
    start = datetime.datetime(2026, 11, 25, 19, 0, tzinfo=datetime.UTC)
    services.balance_reminders(now=start)
    alert = BalanceAlert.objects.get(kind=BalanceAlert.Kind.ARREARS)
    assert alert.sent_at is None
    assert emails("canteen_arrears") == 0
    services.balance_reminders(now=start + datetime.timedelta(days=policy.arrears_reminder_days))
    services.balance_reminders(now=start + datetime.timedelta(days=policy.arrears_reminder_days + 1))
    assert emails("canteen_arrears") == 1
    notice = PaymentNotice.objects.get()
    assert notice.purpose == PaymentNotice.Purpose.TOPUP
    assert notice.amount == Decimal("13.50")
    assert notice.child == child
    alert.refresh_from_db()
    assert alert.notice == notice
    body = OutboxEmail.objects.get(kind="canteen_arrears").body_text
    assert "13,50" in body
    assert f"/pagamenti/avvisi/{notice.pk}/" in body


@pytest.mark.django_db
def test_year_end_refund_and_transfer(meal_enrollment, parent, clerk, canteen_service, year, rodari):
    from tests.canteen.conftest import accepted

    child = meal_enrollment.child
    sibling = child_of(parent, first_name="Marco", last_name="Rossi", codice_fiscale="RSSMRC16A01H501J")
    accepted(sibling, service=canteen_service, year=year, school=rodari)
    top_up(child, "30.00")
    with pytest.raises(CanteenError, match="IBAN non valido"):
        services.year_end_request(user=parent, child=child, kind="refund", amount=Decimal("10"), iban="IT00X123")
    with pytest.raises(CanteenError, match="supera il credito"):
        services.year_end_request(user=parent, child=child, kind="transfer", amount=Decimal("31"), to_child=sibling)
    transfer = services.year_end_request(
        user=parent, child=child, kind="transfer", amount=Decimal("12.00"), to_child=sibling
    )
    services.year_end_decide(request=transfer, approve=True, actor=clerk)
    refund = services.year_end_request(
        user=parent, child=child, kind="refund", amount=Decimal("18.00"), iban="IT60X0542811101000000123456"
    )
    services.year_end_decide(request=refund, approve=True, actor=clerk)
    balances = dict(Balance.objects.values_list("child_id", "amount"))
    assert balances == {child.pk: Decimal("0.00"), sibling.pk: Decimal("12.00")}
    for kid in (child, sibling):
        assert balances[kid.pk] == LedgerEntry.objects.filter(child=kid).aggregate(s=Sum("amount"))["s"]
    assert YearEndRequest.objects.filter(status="approved").count() == 2
    with pytest.raises(CanteenError, match="già stata decisa"):
        services.year_end_decide(request=refund, approve=False, actor=clerk, note="no")


@pytest.mark.django_db
def test_a_closure_at_short_notice_emails_the_families_once(meal_enrollment, classmate_enrollment, calendar):
    from canteen.models import Closure

    closure = Closure.objects.create(
        calendar=calendar, starts_on=D(2026, 12, 10), ends_on=D(2026, 12, 10), kind="strike", notify_families=True
    )
    assert services.closure_notify(closure=closure) == 2
    assert services.closure_notify(closure=closure) == 0
    emails_sent = OutboxEmail.objects.filter(kind="canteen_closure")
    assert sorted(address for email in emails_sent for address in email.to) == [
        "luca.bianchi@example.it",
        "maria.rossi@example.it",
    ]
    body = emails_sent.first().body_text
    assert "10/12/2026" in body
    assert "sciopero" in body
    assert "non viene addebitato" in body
