"""The parent's payment pages through the test client: notice detail, PDFs, history, ledger, the return from the
checkout (never marks paid; its fragment turns to "Pagato" once the receipt arrives) and the confirmation e-mail."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from payments import pagopa, pdf, services
from payments.models import Cart, LedgerEntry, PaymentNotice
from tests.mockpsp.helpers import pay_notices_at_fake
from tests.payments.factories import topup_notice
from tests.payments.test_pdf import notice_make, receipt_make

pytestmark = pytest.mark.django_db

NOTICES = reverse("payments:notices")
TOPUP = reverse("payments:topup")
DOWN = "Il sistema pagoPA non risponde"


# --- detail, PDFs, history, ledger ---------------------------------------------------------------------------------


def test_notice_detail_shows_instalments_and_receipts(parent_client, parent, giulia):
    due = datetime.date(2027, 1, 15)
    notice = notice_make(
        child=giulia, payer=parent, amount="200.00", instalments=[("100.00", due), ("100.00", due.replace(month=5))]
    )
    receipt = receipt_make(notice=notice, option=notice.options.get(instalment=1))
    html = parent_client.get(reverse("payments:notice_detail", kwargs={"pk": notice.pk})).content.decode()
    assert "Rata 1" in html
    assert "Rata 2" in html
    for option in notice.options.all():
        assert pagopa.notice_number_grouped(option.notice_number) in html
    assert reverse("payments:receipt_pdf", kwargs={"pk": receipt.pk}) in html


def test_notice_pdf_download_is_rendered_once(parent_client, parent, giulia, monkeypatch):
    notice = notice_make(child=giulia, payer=parent)
    url = reverse("payments:notice_pdf", kwargs={"pk": notice.pk})
    response = parent_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    number = notice.options.get().notice_number
    assert response["Content-Disposition"] == f'attachment; filename="avviso-{number}.pdf"'
    assert response.content.startswith(b"%PDF")
    monkeypatch.setattr(pdf, "notice_pdf_render", lambda **kwargs: pytest.fail("rendered again"))
    assert parent_client.get(url).content == response.content


def test_cancelled_notice_pdf_is_not_offered(parent_client, parent, giulia):
    notice = notice_make(child=giulia, payer=parent, status="cancelled")
    response = parent_client.get(reverse("payments:notice_pdf", kwargs={"pk": notice.pk}))
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:notice_detail", kwargs={"pk": notice.pk})


def test_receipt_pdf_download(parent_client, parent, giulia):
    receipt = receipt_make(notice=notice_make(child=giulia, payer=parent))
    response = parent_client.get(reverse("payments:receipt_pdf", kwargs={"pk": receipt.pk}))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="ricevuta-{receipt.iuv}.pdf"'
    assert response.content.startswith(b"%PDF")


def test_history_lists_receipts(parent_client, parent, giulia):
    receipt = receipt_make(notice=notice_make(child=giulia, payer=parent, causale="Ricarica nido - Giulia"))
    html = parent_client.get(reverse("payments:history")).content.decode()
    assert "Ricarica nido - Giulia" in html
    assert "Banca Demo S.p.A." in html
    assert "02/03/2026" in html
    assert reverse("payments:receipt_pdf", kwargs={"pk": receipt.pk}) in html


def test_ledger_shows_balance_and_movements(parent_client, parent, giulia):
    services.ledger_record(
        child=giulia, service_kind="canteen", kind=LedgerEntry.Kind.TOPUP, amount=Decimal("20.00"), reason="Ricarica"
    )
    services.ledger_record(
        child=giulia, service_kind="canteen", kind=LedgerEntry.Kind.ADJUSTMENT, amount=Decimal("-4.50"), reason="Pasto"
    )
    services.ledger_record(
        child=giulia, service_kind="transport", kind=LedgerEntry.Kind.ADJUSTMENT, amount=Decimal("7.00"), reason="Bus"
    )
    url = reverse("payments:ledger", kwargs={"child_id": giulia.pk})
    html = parent_client.get(url).content.decode()
    assert "15,50" in html
    assert "+20,00" in html
    assert "-4,50" in html
    assert "Bus" not in html  # transport is billed by notice: no balance, no movements shown to the family
    filtered = parent_client.get(f"{url}?service=canteen").content.decode()
    assert "Bus" not in filtered
    assert "Pasto" in filtered


# --- return from the checkout ------------------------------------------------------------------------------------


def _open_cart(client, parent, child) -> tuple[Cart, PaymentNotice]:
    notice = topup_notice(parent, child)
    assert client.post(NOTICES, {"notice": [notice.pk]}).status_code == 302
    return Cart.objects.get(notices=notice), notice


def test_return_ok_never_marks_paid_and_polls_until_the_receipt(parent_client, parent, giulia):
    cart, notice = _open_cart(parent_client, parent, giulia)
    response = parent_client.get(
        reverse("payments:cart_return", kwargs={"public_id": cart.public_id, "outcome": "ok"})
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Pagamento in conferma" in html
    status_url = reverse("payments:cart_status", kwargs={"public_id": cart.public_id})
    assert f'hx-get="{status_url}?n=1"' in html
    notice.refresh_from_db()
    assert notice.status == PaymentNotice.Status.ISSUED
    assert not notice.receipts.exists()

    fragment = parent_client.get(f"{status_url}?n=1").content.decode()
    assert "Pagamento in conferma" in fragment
    assert f'hx-get="{status_url}?n=2"' in fragment

    pay_notices_at_fake(None, [notice.options.get().notice_number])
    notice.refresh_from_db()
    assert notice.status == PaymentNotice.Status.PAID
    fragment = parent_client.get(f"{status_url}?n=2").content.decode()
    assert "Pagato" in fragment
    assert "hx-get" not in fragment
    assert reverse("payments:receipt_pdf", kwargs={"pk": notice.receipts.get().pk}) in fragment
    # the top-up reached the balance
    assert "20,00" in parent_client.get(reverse("payments:ledger", kwargs={"child_id": giulia.pk})).content.decode()


def test_polling_stops_after_a_while(parent_client, parent, giulia):
    cart, _notice = _open_cart(parent_client, parent, giulia)
    url = reverse("payments:cart_status", kwargs={"public_id": cart.public_id})
    fragment = parent_client.get(f"{url}?n=150").content.decode()
    assert "hx-get" not in fragment
    assert "non serve ripetere il pagamento" in fragment


@pytest.mark.parametrize(
    ("outcome", "title"), [("cancel", "Pagamento annullato"), ("error", "Pagamento non riuscito")]
)
def test_return_cancel_or_error_offers_retry_and_download(parent_client, parent, giulia, outcome, title):
    cart, notice = _open_cart(parent_client, parent, giulia)
    url = reverse("payments:cart_return", kwargs={"public_id": cart.public_id, "outcome": outcome})
    html = parent_client.get(url).content.decode()
    assert title in html
    assert "Riprova il pagamento" in html
    assert f'<input type="hidden" name="notice" value="{notice.pk}">' in html
    assert reverse("payments:notice_pdf", kwargs={"pk": notice.pk}) in html
    notice.refresh_from_db()
    assert notice.status == PaymentNotice.Status.ISSUED


def test_return_after_the_receipt_arrived_shows_paid(parent_client, parent, giulia):
    cart, notice = _open_cart(parent_client, parent, giulia)
    pay_notices_at_fake(None, [notice.options.get().notice_number])
    url = reverse("payments:cart_return", kwargs={"public_id": cart.public_id, "outcome": "ok"})
    html = parent_client.get(url).content.decode()
    assert "Pagato" in html
    assert "hx-get" not in html


def test_unknown_outcome_is_404(parent_client, parent, giulia):
    cart, _notice = _open_cart(parent_client, parent, giulia)
    url = reverse("payments:cart_return", kwargs={"public_id": cart.public_id, "outcome": "paid"})
    assert parent_client.get(url).status_code == 404


# --- the confirmation e-mail ---------------------------------------------------------------------------------------


def test_receipt_email_says_who_paid_what_for_whom(parent, giulia):
    from portal.mail import email_enqueue_template

    notice = notice_make(child=giulia, payer=parent, amount="45.50", causale="Ricarica mensa - Giulia Rossi")
    receipt = receipt_make(notice=notice)
    email = email_enqueue_template(
        template="payment_receipt",
        to=[parent.email],
        context={"receipt": receipt, "notice": notice, "comune": "Comune di Borgo Demo", "portal_url": "http://x/"},
    )
    assert email.subject == "Pagamento ricevuto: Ricarica mensa - Giulia Rossi"
    grouped = pagopa.notice_number_grouped(receipt.notice_number)
    for body in (email.body_text, email.body_html):
        for expected in ["Maria Rossi", "45,50 €", "1,20 €", "Giulia Rossi", grouped, "02/03/2026 08:05", "allegato"]:
            assert expected in body, expected
    assert "Banca Demo S.p.A." in email.body_text
    assert "&amp;" not in email.body_text
