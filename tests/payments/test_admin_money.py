"""Issue 10, item 14: every amount in the office's payment pages (the daily receipts report, notices, receipts, the
ledger, balances and their adjustment, the cancel page) is written by the one helper as "1.234,50 €", never as
"1234.50", "1234,50" or a long decimal ("0,950000000000000 €"); the daily report opens on today."""

import re
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone, translation

from payments.models import Balance, LedgerEntry, Receipt
from portal.money import euro_format
from tests.payments.factories import notice_make, receipt_pay, single_option
from tests.payments.test_admin import office_client  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

WRONG_MONEY = [
    re.compile(r"\d\.\d{2}\s*€"),  # English decimals: 1234.50 €
    re.compile(r",\d{3,}\s*€"),  # long decimals: 0,950000000000000 €
    re.compile(r"(?<![\d.])\d{4,},\d{2}\s*€"),  # thousands not grouped: 1234,50 €
]


def _text(html: str) -> str:
    return html.replace("\u00a0", " ").replace("&nbsp;", " ")


def _money_checked(html: str, *expected: str) -> None:
    text = _text(html)
    for pattern in WRONG_MONEY:
        assert not pattern.search(text), pattern.search(text).group(0)
    for amount in expected:
        assert amount in text


@pytest.fixture
def paid(giulia, parent):
    """A canteen fee of 1.234,50 € paid today with 0,95 € of PSP fee, and an open one of 12,30 €."""
    notice = notice_make(child=giulia, payer=parent, amount="1234.50", purpose="fee", causale="Rette arretrate")
    receipt_pay(single_option(notice), psp_name="Banca Uno", fee_cents=95)
    open_notice = notice_make(child=giulia, payer=parent, amount="12.30", purpose="fee", causale="Tessera")
    return notice, open_notice


def test_euro_format_is_italian():
    with translation.override("it"):
        assert euro_format(Decimal("1234.5")) == "1.234,50\u00a0€"
        assert euro_format(Decimal("0.950000000000000")) == "0,95\u00a0€"
        assert euro_format(Decimal("-200")) == "-200,00\u00a0€"


def test_the_daily_report_opens_on_today_with_money_written_by_the_helper(office_client, paid):  # noqa: F811
    response = office_client.get(reverse("admin:payments_receipt_report"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'value="{timezone.localdate():%d/%m/%Y}"' in html
    assert timezone.localdate().strftime("%d/%m/%Y") in html
    _money_checked(html, "1.234,50 €", "0,95 €")


def test_every_payments_admin_page_writes_money_as_the_helper(office_client, paid, giulia):  # noqa: F811
    notice, open_notice = paid
    receipt = Receipt.objects.get()
    entry = LedgerEntry.objects.get(kind="fee", amount=Decimal("-1234.50"))
    balance = Balance.objects.get(child=giulia, service_kind="canteen")
    pages = {
        reverse("admin:payments_paymentnotice_changelist"): ["1.234,50 €", "12,30 €"],
        reverse("admin:payments_paymentnotice_change", args=[notice.pk]): ["1.234,50 €", "0,95 €"],
        reverse("admin:payments_receipt_changelist"): ["1.234,50 €", "0,95 €"],
        reverse("admin:payments_receipt_change", args=[receipt.pk]): ["1.234,50 €", "0,95 €"],
        reverse("admin:payments_ledgerentry_changelist"): ["-1.234,50 €", "1.234,50 €"],
        reverse("admin:payments_ledgerentry_change", args=[entry.pk]): ["-1.234,50 €"],
        reverse("admin:payments_balance_changelist"): ["-12,30 €"],
        reverse("admin:payments_balance_change", args=[balance.pk]): ["Refezione scolastica (mensa): -12,30 €"],
        reverse("admin:accounts_child_change", args=[giulia.pk]): ["1.234,50 €", "12,30 €", "-12,30 €"],
    }
    for url, amounts in pages.items():
        response = office_client.get(url)
        assert response.status_code == 200, url
        _money_checked(response.content.decode(), *amounts)

    adjust = office_client.post(
        reverse("admin:payments_balance_adjust"),
        {"child_codice_fiscale": giulia.codice_fiscale, "service_kind": "canteen", "direction": "credit"},
    )
    _money_checked(adjust.content.decode(), "Saldo attuale: -12,30 €")

    cancel = office_client.post(
        reverse("admin:payments_paymentnotice_changelist"),
        {"action": "cancel_notices", ACTION_CHECKBOX_NAME: [open_notice.pk]},
    )
    _money_checked(cancel.content.decode(), "12,30 €")


def test_the_office_adjusts_only_the_balance_of_a_prepaid_service(office_client, giulia):  # noqa: F811
    url = reverse("admin:payments_balance_adjust")
    page = office_client.get(url).content.decode()
    assert '<option value="canteen"' in page
    assert 'value="transport"' not in page
    response = office_client.post(
        url,
        {
            "child_codice_fiscale": giulia.codice_fiscale,
            "service_kind": "transport",
            "direction": "debit",
            "amount": "200",
            "reason": "Quota trasporto",
        },
    )
    assert response.status_code == 200
    assert "Solo la mensa ha un saldo" in response.content.decode()
    assert not LedgerEntry.objects.exists()
