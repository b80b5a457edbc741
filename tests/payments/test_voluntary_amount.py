"""A voluntary contribution whose amount the family chooses (the school allowed it): the same notice and notice
number, its amount changed here and on the platform; refused with the reason on the page otherwise."""

from decimal import Decimal

import pytest
from django.urls import reverse

from mockpsp.models import DebtPosition
from payments.models import PaymentNotice, PaymentNoticeEvent
from tests.payments.factories import platform_down, publish, receipt_pay, single_option
from tests.payments.test_cross_family import voluntary_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def contribution(parent, giulia):
    return publish(voluntary_notice(child=giulia, payer=parent))


def _url(notice):
    return reverse("payments:notice_amount", kwargs={"pk": notice.pk})


def test_the_family_gives_more_and_pays_that_amount(parent_client, parent, contribution):
    number = single_option(contribution).notice_number
    page = parent_client.get(reverse("payments:notice_detail", kwargs={"pk": contribution.pk})).content.decode()
    assert "Scegli quanto versare" in page
    response = parent_client.post(_url(contribution), {"amount": "50,00"})
    assert response.status_code == 302
    contribution.refresh_from_db()
    option = single_option(contribution)
    assert (contribution.amount, option.amount, option.notice_number) == (Decimal("50.00"), Decimal("50.00"), number)
    position = DebtPosition.objects.get(iupd=contribution.iupd)
    assert [o.amount_cents for o in position.options.all()] == [5000]  # the platform has the new amount
    changed = contribution.events.get(action=PaymentNoticeEvent.Action.AMOUNT_CHANGED)
    assert (changed.actor, changed.reason) == (parent, "30.00 → 50.00")
    _message, status = receipt_pay(option, creditor="80012345676")
    assert status == 200


@pytest.mark.parametrize(
    ("typed", "message"), [("0", "maggiore di zero"), ("dieci", "Scrivi solo cifre"), ("5000", "massimo")]
)
def test_a_bad_amount_is_refused_on_the_page_with_what_was_typed(parent_client, contribution, typed, message):
    response = parent_client.post(_url(contribution), {"amount": typed})
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert f'value="{typed}"' in body
    contribution.refresh_from_db()
    assert contribution.amount == Decimal("30.00")


def test_platform_down_changes_nothing(parent_client, contribution):
    with platform_down():
        response = parent_client.post(_url(contribution), {"amount": "40"})
    assert response.status_code == 400
    assert "non risponde" in response.content.decode()
    contribution.refresh_from_db()
    assert contribution.amount == Decimal("30.00")
    assert not contribution.events.filter(action=PaymentNoticeEvent.Action.AMOUNT_CHANGED).exists()


def test_a_fixed_or_paid_notice_has_no_amount_page(parent_client, contribution):
    contribution.school_event.free_amount = False
    contribution.school_event.save()
    assert parent_client.get(_url(contribution)).status_code == 404
    contribution.school_event.free_amount = True
    contribution.school_event.save()
    receipt_pay(single_option(contribution), creditor="80012345676")
    assert PaymentNotice.objects.get(pk=contribution.pk).status == "paid"
    assert parent_client.get(_url(contribution)).status_code == 404


def test_the_printed_notice_with_the_old_amount_is_deleted_and_printed_again(
    parent_client, contribution, django_capture_on_commit_callbacks
):
    from payments import pdf

    pdf.notice_pdf_get_or_render(notice=contribution)
    contribution.refresh_from_db()
    old_name, storage = contribution.pdf.name, contribution.pdf.storage
    assert storage.exists(old_name)
    with django_capture_on_commit_callbacks(execute=True):
        assert parent_client.post(_url(contribution), {"amount": "45"}).status_code == 302
    contribution.refresh_from_db()
    assert not contribution.pdf
    assert not storage.exists(old_name)  # no stale avviso left in storage
    printed = parent_client.get(reverse("payments:notice_pdf", kwargs={"pk": contribution.pk}))
    assert printed.status_code == 200
