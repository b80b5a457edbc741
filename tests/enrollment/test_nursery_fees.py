"""The nursery's monthly fee: one notice per accepted enrollment and month of its school year, issued by the beat
job (or the command) at the start of the month, due on the 20th; running again issues nothing new."""

import datetime
import io
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from enrollment.models import Enrollment, ServiceKind
from payments import tasks
from payments.models import LedgerEntry, PaymentNotice
from payments.selectors import ledger_balance
from payments.services import notice_cancel, notices_issue_bulk, nursery_fees_issue
from payments.services.fees import nursery_fee_due
from payments.services.positions import notices_publish_enqueue
from tests.payments.test_concurrency import together

from .factories import ChildFactory, child_of, enrollment_make

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")
OCTOBER = datetime.date(2026, 10, 1)
FEE = Decimal("300.00")


@pytest.fixture(autouse=True)
def first_of_october():
    """Today is 1 October 2026, 06:00 in Rome (when the beat job runs)."""
    with time_machine.travel(datetime.datetime(2026, 10, 1, 6, 0, tzinfo=ROME), tick=False) as traveller:
        yield traveller


def nursery_enrollment(*, child, service, school_year, status=Enrollment.Status.ACCEPTED, tariff=FEE, **fields):
    return enrollment_make(
        status=status,
        child=child,
        service=service,
        school_year=school_year,
        tariff_amount=tariff,
        tariff_steps=[{"code": "total", "amount": str(tariff)}],
        **fields,
    )


@pytest.fixture
def accepted(giulia, parent, other_parent, nursery, school_year):
    """Giulia's accepted nursery enrollment, 300,00 € a month, submitted by another adult than her reference."""
    return nursery_enrollment(child=giulia, service=nursery, school_year=school_year, created_by=other_parent)


def test_an_accepted_enrollment_gets_the_month_notice(accepted, giulia, parent, office):
    assert nursery_fees_issue(month=datetime.date(2026, 10, 17), actor=office) == 1

    notice = PaymentNotice.objects.get(enrollment=accepted)
    assert notice.status == PaymentNotice.Status.ISSUED
    assert notice.purpose == PaymentNotice.Purpose.FEE
    assert notice.service_kind == ServiceKind.NURSERY
    assert notice.amount == FEE
    assert notice.causale == "Asilo nido - retta di ottobre 2026 - Giulia Rossi"
    assert notice.payer == parent  # the adult of reference, not who submitted
    assert notice.payer_fiscal_code == parent.codice_fiscale
    assert notice.due_date == datetime.date(2026, 10, 20)
    assert notice.period == OCTOBER
    assert notice.created_by == office
    assert [(option.instalment, option.amount) for option in notice.options.all()] == [(0, FEE)]
    assert not LedgerEntry.objects.filter(notice=notice).exists()  # billed by notice: no balance to debit
    assert ledger_balance(child=giulia, service_kind=ServiceKind.NURSERY) == 0


def test_running_again_issues_nothing_new(accepted, giulia):
    assert nursery_fees_issue(month=OCTOBER) == 1
    assert nursery_fees_issue(month=datetime.date(2026, 10, 31)) == 0
    assert PaymentNotice.objects.filter(enrollment=accepted).count() == 1
    assert not LedgerEntry.objects.exists()
    # the next month is a new notice
    assert nursery_fees_issue(month=datetime.date(2026, 11, 1)) == 1
    assert list(
        PaymentNotice.objects.filter(enrollment=accepted).order_by("period").values_list("period", flat=True)
    ) == [
        OCTOBER,
        datetime.date(2026, 11, 1),
    ]
    assert ledger_balance(child=giulia, service_kind=ServiceKind.NURSERY) == 0


def test_a_cancelled_month_is_issued_again(accepted, office):
    nursery_fees_issue(month=OCTOBER)
    first = PaymentNotice.objects.get(enrollment=accepted)
    notice_cancel(notice_id=first.pk, actor=office, reason="Importo errato")
    assert nursery_fees_issue(month=OCTOBER) == 1
    assert PaymentNotice.objects.filter(enrollment=accepted, period=OCTOBER).exclude(pk=first.pk).get().status == (
        PaymentNotice.Status.ISSUED
    )


def test_the_database_refuses_a_second_open_notice_for_the_same_month(accepted, parent):
    nursery_fees_issue(month=OCTOBER)
    spec = {
        "child": accepted.child,
        "service_kind": ServiceKind.NURSERY,
        "purpose": PaymentNotice.Purpose.FEE,
        "amount": FEE,
        "causale": "Asilo nido - retta di ottobre 2026 - Giulia Rossi",
        "due_date": datetime.date(2026, 10, 20),
        "payer": parent,
        "enrollment": accepted,
        "period": datetime.date(2026, 10, 5),  # stored as the first of the month
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        notices_issue_bulk(specs=[spec])


@pytest.mark.parametrize(
    ("month", "issued"),
    [
        (datetime.date(2026, 8, 1), 0),  # before the school year
        (datetime.date(2026, 9, 1), 1),  # the year starts on 14 September: September is owed
        (datetime.date(2027, 6, 1), 1),  # it ends on 10 June: June is owed
        (datetime.date(2027, 7, 1), 0),  # after it
    ],
)
def test_only_the_months_of_the_school_year(accepted, month, issued):
    assert nursery_fees_issue(month=month) == issued
    assert PaymentNotice.objects.filter(enrollment=accepted).count() == issued


def test_another_school_year_owes_nothing_this_month(giulia, nursery, previous_year):
    nursery_enrollment(child=giulia, service=nursery, school_year=previous_year)
    assert nursery_fees_issue(month=OCTOBER) == 0


@pytest.mark.parametrize(
    "status",
    [
        Enrollment.Status.SUBMITTED,
        Enrollment.Status.WAITLISTED,
        Enrollment.Status.WITHDRAWN,
        Enrollment.Status.REJECTED,
    ],
)
def test_an_enrollment_not_accepted_owes_nothing(giulia, nursery, school_year, status):
    nursery_enrollment(child=giulia, service=nursery, school_year=school_year, status=status)
    assert nursery_fees_issue(month=OCTOBER) == 0
    assert not PaymentNotice.objects.exists()


def test_an_exempt_enrollment_owes_nothing(giulia, nursery, school_year):
    nursery_enrollment(child=giulia, service=nursery, school_year=school_year, tariff=Decimal("0.00"))
    assert nursery_fees_issue(month=OCTOBER) == 0
    assert not PaymentNotice.objects.exists()


def test_other_services_owe_nothing_here(giulia, transport, school_year):
    nursery_enrollment(child=giulia, service=transport, school_year=school_year)
    assert nursery_fees_issue(month=OCTOBER) == 0


def test_many_enrollments_in_one_run(accepted, parent, other_parent, nursery, school_year):
    """Each one gets its notice; without an adult of reference, who submitted pays."""
    sibling = child_of(parent, first_name="Marco", last_name="Rossi")
    nursery_enrollment(child=sibling, service=nursery, school_year=school_year, tariff=Decimal("180.00"))
    orphan = ChildFactory(first_name="Sara", last_name="Neri")
    without_reference = nursery_enrollment(
        child=orphan, service=nursery, school_year=school_year, created_by=other_parent
    )
    assert nursery_fees_issue(month=OCTOBER) == 3
    assert sorted(PaymentNotice.objects.values_list("amount", flat=True)) == [Decimal("180.00"), FEE, FEE]
    assert PaymentNotice.objects.get(enrollment=without_reference).payer == other_parent


def test_a_surname_that_looks_like_a_health_word_is_printed_in_full(parent, nursery, school_year):
    """ "Medici" is a name, not health data: the causale check leaves the child's and payer's names out."""
    child = child_of(parent, first_name="Luca", last_name="Medici")
    nursery_enrollment(child=child, service=nursery, school_year=school_year)
    assert nursery_fees_issue(month=OCTOBER) == 1
    assert PaymentNotice.objects.get().causale == "Asilo nido - retta di ottobre 2026 - Luca Medici"


def test_a_late_run_gives_fifteen_days(accepted, first_of_october):
    first_of_october.move_to(datetime.datetime(2026, 10, 12, 9, 0, tzinfo=ROME))
    assert nursery_fees_issue(month=OCTOBER) == 1
    assert PaymentNotice.objects.get().due_date == datetime.date(2026, 10, 27)
    # a past month issued now is never due in the past either
    assert nursery_fee_due(month=datetime.date(2026, 9, 1), today=datetime.date(2026, 10, 12)) == datetime.date(
        2026, 10, 27
    )


def test_the_monthly_task_issues_this_month(accepted):
    assert tasks.nursery_fees_issue_current_month_task.delay().get() == 1
    assert tasks.nursery_fees_issue_current_month_task.delay().get() == 0
    assert PaymentNotice.objects.get().period == OCTOBER


def test_the_notices_are_published_after_commit(accepted, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        nursery_fees_issue(month=OCTOBER)
    # one publication (the others: the family summary's invalidations, the payer's e-mail and its PDF)
    assert len([c for c in callbacks if getattr(c, "func", None) is notices_publish_enqueue]) == 1
    assert PaymentNotice.objects.get().platform_state == PaymentNotice.PlatformState.VALID


def test_the_command_prints_the_count(accepted):
    out = io.StringIO()
    call_command("issue_nursery_fees", "--month", "2026-11", stdout=out)
    assert "1 nursery fee notice(s) issued for 11/2026" in out.getvalue()
    assert PaymentNotice.objects.get().period == datetime.date(2026, 11, 1)
    out = io.StringIO()
    call_command("issue_nursery_fees", stdout=out)  # default: this month
    assert "1 nursery fee notice(s) issued for 10/2026" in out.getvalue()
    out = io.StringIO()
    call_command("issue_nursery_fees", stdout=out)
    assert "0 nursery fee notice(s)" in out.getvalue()


def test_the_command_refuses_a_bad_month(accepted):
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("issue_nursery_fees", "--month", "ottobre")
    assert not PaymentNotice.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not settings.USING_SERVICES, reason="needs PostgreSQL (row locks, real concurrency)")
def test_concurrent_runs_issue_each_month_once(accepted, parent, nursery, school_year):
    """The beat job and the command at the same moment: one issues, the other waits on the rows and skips them."""
    nursery_enrollment(child=child_of(parent, first_name="Marco"), service=nursery, school_year=school_year)
    with mock.patch("payments.services.positions.notices_publish_enqueue"):
        results, errors = together(4, lambda _index: nursery_fees_issue(month=OCTOBER))
    assert errors == []
    assert sorted(results) == [0, 0, 0, 2]
    assert PaymentNotice.objects.count() == 2
    assert not LedgerEntry.objects.exists()
