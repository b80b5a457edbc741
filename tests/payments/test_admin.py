"""The office's admin for payments: notices (search, cancel with a reason), receipts and their daily report,
a read-only ledger, adjustments through the ledger service."""

import datetime
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from mockpsp.models import DebtPosition as MockPosition
from payments import pagopa, services
from payments.gateway import ReturnUrls
from payments.models import Balance, LedgerEntry, PaymentNotice, Receipt
from payments.selectors import ledger_balance
from tests.conftest import make_user
from tests.payments.factories import notice_make, receipt_pay, single_option

pytestmark = pytest.mark.django_db


def _staff(legal_documents, *, superuser: bool, cf: str, email: str):
    staff = make_user(codice_fiscale=cf, email=email, documents=legal_documents, is_staff=True, is_superuser=superuser)
    TOTP.activate(staff, generate_totp_secret())
    return staff


@pytest.fixture
def office_client(client, legal_documents):
    client.staff = _staff(legal_documents, superuser=True, cf="VRDGLI79P61A944R", email="office@example.it")
    client.force_login(client.staff)
    return client


@pytest.fixture
def viewer_client(client, legal_documents):
    """Staff allowed only to look at payments."""
    staff = _staff(legal_documents, superuser=False, cf="BNCNNA80A41F205X", email="viewer@example.it")
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="payments", codename__startswith="view_")
    )
    client.force_login(staff)
    return client


def test_notices_are_found_by_notice_number_with_spaces_iuv_and_cf(office_client, giulia, parent):
    notice = notice_make(child=giulia, payer=parent, causale="Ricarica mensa di prova")
    other = notice_make(child=giulia, payer=parent, causale="Un altro avviso")
    number = single_option(notice).notice_number
    url = reverse("admin:payments_paymentnotice_changelist")
    for term in (pagopa.notice_number_grouped(number), number, number[1:], giulia.codice_fiscale):
        body = office_client.get(url, {"q": term}).content.decode()
        assert "Ricarica mensa di prova" in body
        assert ("Un altro avviso" in body) == (term == giulia.codice_fiscale)
    assert other.pk


def test_notice_page_is_read_only_with_its_options(office_client, giulia, parent):
    notice = notice_make(child=giulia, payer=parent, amount="300.00", instalments=[("150.00", 10), ("150.00", 40)])
    response = office_client.get(reverse("admin:payments_paymentnotice_change", args=[notice.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert pagopa.notice_number_grouped(single_option(notice).notice_number) in body
    assert 'name="causale"' not in body  # nothing editable
    assert office_client.get(reverse("admin:payments_paymentnotice_add")).status_code == 403


def test_cancel_action_asks_a_reason_then_cancels_on_the_platform(office_client, giulia, parent):
    notice = notice_make(child=giulia, payer=parent, purpose="fee", amount="70.00", causale="Retta nido novembre")
    services.notice_publish(notice_id=notice.pk)
    url = reverse("admin:payments_paymentnotice_changelist")
    data = {"action": "cancel_notices", ACTION_CHECKBOX_NAME: [notice.pk]}

    page = office_client.post(url, data)
    assert page.status_code == 200
    assert "Motivo dell" in page.content.decode()
    notice.refresh_from_db()
    assert notice.status == PaymentNotice.Status.ISSUED

    empty = office_client.post(url, {**data, "apply": "1", "reason": ""})
    assert empty.status_code == 200  # the form again, with its error
    notice.refresh_from_db()
    assert notice.status == PaymentNotice.Status.ISSUED

    done = office_client.post(url, {**data, "apply": "1", "reason": "Iscrizione ritirata"}, follow=True)
    assert "1 avviso annullato" in done.content.decode()
    notice.refresh_from_db()
    assert (notice.status, notice.closed_by, notice.closed_reason) == (
        PaymentNotice.Status.CANCELLED,
        office_client.staff,
        "Iscrizione ritirata",
    )
    assert MockPosition.objects.get(iupd=notice.iupd).status == "INVALID"
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("0.00")


def test_notice_page_shows_the_notice_life_inline_newest_last(office_client, giulia, parent):
    notice = notice_make(child=giulia, payer=parent, purpose="fee", amount="70.00", causale="Retta nido novembre")
    services.notice_publish(notice_id=notice.pk)
    url = reverse("admin:payments_paymentnotice_changelist")
    data = {"action": "cancel_notices", ACTION_CHECKBOX_NAME: [notice.pk], "apply": "1"}
    office_client.post(url, {**data, "reason": "Iscrizione ritirata"})
    body = office_client.get(reverse("admin:payments_paymentnotice_change", args=[notice.pk])).content.decode()
    life = body[body.index('id="events-group"') :]  # the inline of the notice's events
    assert "Registro dell" in life
    rows = [life.index(label) for label in ("emesso", "pubblicato sulla piattaforma", "Iscrizione ritirata")]
    assert rows == sorted(rows)  # oldest first, the cancellation last
    assert str(office_client.staff) in life  # who cancelled
    assert 'name="events-0-reason"' not in body  # read-only


def test_cancel_action_reports_a_paid_notice_and_leaves_it(office_client, giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    receipt_pay(single_option(notice))
    url = reverse("admin:payments_paymentnotice_changelist")
    data = {"action": "cancel_notices", ACTION_CHECKBOX_NAME: [notice.pk], "apply": "1", "reason": "errore"}
    body = office_client.post(url, data, follow=True).content.decode()
    assert "Non annullato" in body
    notice.refresh_from_db()
    assert notice.status == PaymentNotice.Status.PAID


def test_a_viewer_cannot_cancel(viewer_client, giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    url = reverse("admin:payments_paymentnotice_changelist")
    assert viewer_client.get(url).status_code == 200
    data = {"action": "cancel_notices", ACTION_CHECKBOX_NAME: [notice.pk], "apply": "1", "reason": "x"}
    viewer_client.post(url, data)
    notice.refresh_from_db()
    assert notice.status == PaymentNotice.Status.ISSUED


def test_ledger_is_read_only_in_the_admin(office_client, giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    receipt_pay(single_option(notice))
    entry = LedgerEntry.objects.get()
    assert office_client.get(reverse("admin:payments_ledgerentry_changelist")).status_code == 200
    assert office_client.get(reverse("admin:payments_ledgerentry_add")).status_code == 403
    change = office_client.post(reverse("admin:payments_ledgerentry_change", args=[entry.pk]), {"amount": "999"})
    assert change.status_code == 403
    delete = office_client.post(reverse("admin:payments_ledgerentry_delete", args=[entry.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert LedgerEntry.objects.get().amount == Decimal("45.50")
    assert (
        office_client.get(reverse("admin:payments_receipt_change", args=[Receipt.objects.get().pk])).status_code == 200
    )
    assert office_client.get(reverse("admin:payments_receiptmessage_changelist")).status_code == 200


def test_adjustment_goes_through_the_ledger_with_its_reason(office_client, giulia):
    url = reverse("admin:payments_balance_adjust")
    assert office_client.get(url, {"child": giulia.codice_fiscale, "service": "canteen"}).status_code == 200
    form = {
        "child_codice_fiscale": giulia.codice_fiscale.lower(),
        "service_kind": "canteen",
        "direction": "debit",
        "amount": "12,50",
        "reason": "Pasti di ottobre non registrati",
    }
    missing_reason = office_client.post(url, {**form, "reason": ""})
    assert missing_reason.status_code == 200
    assert not LedgerEntry.objects.exists()
    bad_amount = office_client.post(url, {**form, "amount": "12,505"})
    assert "due cifre" in bad_amount.content.decode()
    unknown = office_client.post(url, {**form, "child_codice_fiscale": "XXXXXX00X00X000X"})
    assert "Nessun bambino" in unknown.content.decode()
    assert not LedgerEntry.objects.exists()

    response = office_client.post(url, form)
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount, entry.reason, entry.created_by) == (
        "adjustment",
        Decimal("-12.50"),
        "Pasti di ottobre non registrati",
        office_client.staff,
    )
    assert Balance.objects.get(child=giulia, service_kind="canteen").amount == Decimal("-12.50")
    changelist = office_client.get(reverse("admin:payments_balance_changelist")).content.decode()
    assert "-12,50" in changelist or "-12.50" in changelist


def test_a_viewer_cannot_adjust(viewer_client, giulia):
    response = viewer_client.post(
        reverse("admin:payments_balance_adjust"),
        {
            "child_codice_fiscale": giulia.codice_fiscale,
            "service_kind": "canteen",
            "direction": "credit",
            "amount": "10",
            "reason": "regalo",
        },
    )
    assert response.status_code == 403
    assert not LedgerEntry.objects.exists()


def test_daily_report_page_and_csv(office_client, giulia, parent):
    today = timezone.localdate()
    notice = notice_make(child=giulia, payer=parent, amount="45.50")
    receipt_pay(single_option(notice), psp_name="=Banca Uno", fee_cents=100)
    fee = notice_make(
        child=giulia, payer=parent, amount="10.00", purpose="fee", service_kind="nursery", causale="Nido"
    )
    receipt_pay(single_option(fee), psp_name="=Banca Uno", fee_cents=100)

    page = office_client.get(reverse("admin:payments_receipt_report"), {"day": today.strftime("%d/%m/%Y")})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Refezione scolastica" in body
    assert "Asilo nido" in body
    assert "55.50" in body or "55,50" in body

    response = office_client.get(reverse("admin:payments_receipt_report_csv"), {"day": today.isoformat()})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="ricevute-pagopa-{today:%Y-%m-%d}.csv"'
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text.splitlines()
    assert lines[1].startswith("Servizio;Codice PSP;PSP;Ricevute")
    assert "Refezione scolastica (mensa);MOCKPSP1;'=Banca Uno;1;45,50;1,00;0" in lines
    assert "Totale;;;2;55,50;2,00;0" in lines
    assert sum(1 for line in lines if single_option(notice).notice_number in line) == 1

    yesterday = office_client.get(
        reverse("admin:payments_receipt_report"), {"day": (today - datetime.timedelta(days=1)).isoformat()}
    )
    assert "Nessuna ricevuta" in yesterday.content.decode()
    assert office_client.get(reverse("admin:payments_receipt_report"), {"day": "32/13/2026"}).status_code == 200


@pytest.mark.parametrize("model", ["paymentnotice", "receipt", "receiptmessage", "ledgerentry", "balance", "cart"])
def test_every_payments_list_opens_with_data(office_client, giulia, parent, model):
    notice = notice_make(child=giulia, payer=parent)
    services.cart_open(
        user=parent,
        notice_ids=[notice.pk],
        return_urls=ReturnUrls(ok="http://t/ok", cancel="http://t/c", error="http://t/e", waiting="http://t/w"),
    )
    receipt_pay(single_option(notice))
    response = office_client.get(reverse(f"admin:payments_{model}_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


def test_refused_calls_are_filtered_by_their_reason_code_read_only(office_client, giulia, parent):
    receipt_pay(single_option(notice_make(child=giulia, payer=parent)))
    services.receipt_intake(body=b"junk", headers={}, remote_addr="203.0.113.7")
    url = reverse("admin:payments_receiptmessage_changelist")

    response = office_client.get(url, {"refusal__exact": "signature"})

    assert response.context["cl"].result_count == 1
    assert "firma mancante o non valida" in response.content.decode()
    assert "codice del rifiuto" in response.content.decode().lower()
    refused = response.context["cl"].result_list[0]
    change = office_client.get(reverse("admin:payments_receiptmessage_change", args=[refused.pk])).content.decode()
    assert 'name="refusal"' not in change  # shown, never editable
    assert 'name="body"' not in change
    assert office_client.get(reverse("admin:payments_receiptmessage_add")).status_code == 403
