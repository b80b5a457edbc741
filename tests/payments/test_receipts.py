"""The receipt intake: stored always, verified, checked, credited once, flagged when late, confirmed by e-mail."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from payments import services
from payments.models import Balance, LedgerEntry, PaymentNotice, Receipt, ReceiptMessage
from payments.selectors import ledger_balance
from portal.models import OutboxEmail
from tests.mockpsp.helpers import pay_notices_at_fake
from tests.payments.factories import (
    body_bytes,
    notice_make,
    receipt_body,
    receipt_pay,
    receipt_post,
    signature,
    signed,
    single_option,
)

pytestmark = pytest.mark.django_db

Outcome = ReceiptMessage.Outcome
Status = PaymentNotice.Status


def nothing_credited():
    assert not Receipt.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert not OutboxEmail.objects.exists()
    assert not Balance.objects.exclude(amount=0).exists()


def test_a_valid_receipt_marks_paid_credits_and_queues_the_email(giulia, parent):
    notice = notice_make(child=giulia, payer=parent, amount="45.50")
    services.notice_publish(notice_id=notice.pk)
    body = receipt_body(option=single_option(notice), fee_cents=120, psp_name="Banca Uno")
    raw, headers = signed(body)

    message, status = services.receipt_intake(body=raw, headers=headers, remote_addr="10.0.0.7")

    assert status == 200
    assert message.outcome == Outcome.ACCEPTED
    assert message.body == raw.decode()  # stored unmodified
    assert message.signature == headers["X-PagoPA-Signature"]
    assert message.remote_addr == "10.0.0.7"
    receipt = Receipt.objects.get()
    assert (receipt.receipt_id, receipt.amount, receipt.fee) == (body["receiptId"], Decimal("45.50"), Decimal("1.20"))
    assert (receipt.psp_id, receipt.psp_name, receipt.message) == ("MOCKPSP1", "Banca Uno", message)
    assert not receipt.flagged
    notice.refresh_from_db()
    assert (notice.status, notice.platform_state, notice.flagged) == (Status.PAID, "PAID", False)
    assert notice.paid_at == receipt.paid_at
    assert single_option(notice).paid_at == receipt.paid_at
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount, entry.receipt, entry.notice) == ("topup", Decimal("45.50"), receipt, notice)
    assert Balance.objects.get(child=giulia, service_kind="canteen").amount == Decimal("45.50")
    email = OutboxEmail.objects.get()
    assert email.to == [parent.email]
    assert email.kind == "payment_receipt"
    assert email.attachments == [{"builder": "payments.receipt_pdf", "kwargs": {"receipt_id": receipt.pk}}]
    assert "Giulia" in email.body_text


def test_the_confirmation_email_is_sent_after_commit_with_the_receipt_pdf(
    giulia, parent, django_capture_on_commit_callbacks, mailoutbox
):
    notice = notice_make(child=giulia, payer=parent)
    with django_capture_on_commit_callbacks(execute=True):
        receipt_pay(single_option(notice))
    [sent] = mailoutbox
    assert sent.to == [parent.email]
    [(filename, content, mimetype)] = sent.attachments
    assert filename.endswith(".pdf")
    assert mimetype == "application/pdf"
    assert content.startswith(b"%PDF")


def test_a_fee_payment_cancels_the_fee_debit(giulia, parent):
    notice = notice_make(child=giulia, payer=parent, purpose="fee", amount="120.00", causale="Retta nido ottobre")
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("-120.00")
    receipt_pay(single_option(notice))
    assert list(LedgerEntry.objects.order_by("pk").values_list("kind", "amount")) == [
        ("fee", Decimal("-120.00")),
        ("payment", Decimal("120.00")),
    ]
    assert Balance.objects.get(child=giulia, service_kind="canteen").amount == Decimal("0.00")


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"X-PagoPA-Signature": "sha256=" + "0" * 64}, 401),
        ({"X-PagoPA-Signature": "md5=abc"}, 401),
    ],
)
def test_bad_or_missing_signature_is_rejected_and_stored(giulia, parent, headers, status):
    notice = notice_make(child=giulia, payer=parent)
    raw = body_bytes(receipt_body(option=single_option(notice)))
    message, answered = services.receipt_intake(body=raw, headers=headers, remote_addr=None)
    assert answered == status
    assert message.outcome == Outcome.REJECTED
    assert message.body == raw.decode()
    nothing_credited()
    notice.refresh_from_db()
    assert notice.status == Status.ISSUED


def test_a_receipt_signed_with_another_secret_is_rejected(giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    message, status = receipt_post(receipt_body(option=single_option(notice)), secret="not-the-platform")
    assert (status, message.outcome) == (401, Outcome.REJECTED)
    nothing_credited()


def test_a_signed_body_that_is_not_a_receipt_is_rejected_and_kept(db):
    raw = b"\x00\xffnot json"
    message, status = services.receipt_intake(
        body=raw, headers={"X-PagoPA-Signature": signature(raw)}, remote_addr="x"
    )
    assert status == 400  # signed: who sent it is known, but it is not a receipt (PAA_SINTASSI)
    assert message.outcome == Outcome.REJECTED
    assert message.body == "\\x00\\xffnot json"  # kept, with the bytes that are not text escaped
    assert message.remote_addr is None  # not an IP address


def test_unknown_notice_number_is_rejected(db):
    from payments.pagopa import notice_number

    message, status = receipt_post(
        receipt_body(notice_number=notice_number(segregation_code=1, base=999), amount_cents=100)
    )
    assert (status, message.outcome) == (404, Outcome.REJECTED)
    assert "sconosciuto" in message.reason
    nothing_credited()


def test_another_creditors_receipt_is_rejected(giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    message, status = receipt_post(receipt_body(option=single_option(notice), creditor="99999999999"))
    assert (status, message.outcome) == (422, Outcome.REJECTED)
    nothing_credited()


def test_an_iuv_not_matching_the_notice_number_is_rejected(giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    _message, status = receipt_post(receipt_body(option=single_option(notice), iuv="01000000000000099"))
    assert status == 422
    nothing_credited()


@pytest.mark.parametrize("cents", [4549, 4551, 9100])
def test_a_wrong_amount_is_rejected(giulia, parent, cents):
    notice = notice_make(child=giulia, payer=parent, amount="45.50")
    message, status = receipt_post(receipt_body(option=single_option(notice), amount_cents=cents))
    assert (status, message.outcome) == (422, Outcome.REJECTED)
    assert "Importo" in message.reason
    nothing_credited()
    notice.refresh_from_db()
    assert notice.status == Status.ISSUED


@pytest.mark.parametrize(
    ("paid_at", "words"),
    [
        (datetime.datetime(9999, 6, 1, 12, 0, tzinfo=datetime.UTC), "nel futuro"),
        (timezone.now() + datetime.timedelta(days=2), "nel futuro"),
        (datetime.datetime(1999, 12, 31, 12, 0, tzinfo=datetime.UTC), "troppo vecchia"),
    ],
    ids=["year-9999", "two-days-ahead", "year-1999"],
)
def test_an_absurd_payment_date_is_rejected_and_credits_nothing(giulia, parent, paid_at, words):
    notice = notice_make(child=giulia, payer=parent, amount="45.50")
    services.notice_publish(notice_id=notice.pk)
    message, status = receipt_post(receipt_body(option=single_option(notice), paid_at=paid_at))
    assert (status, message.outcome) == (422, Outcome.REJECTED)
    assert f"Data di pagamento {words}" in message.reason
    assert message.body  # stored as posted
    nothing_credited()
    notice.refresh_from_db()
    assert (notice.status, notice.paid_at) == (Status.ISSUED, None)
    assert single_option(notice).paid_at is None


@pytest.mark.parametrize("hours", [-24 * 365 * 2, -1, 0, 12])
def test_a_plausible_payment_date_is_credited(giulia, parent, hours):
    notice = notice_make(child=giulia, payer=parent, amount="45.50")
    message, status = receipt_post(
        receipt_body(option=single_option(notice), paid_at=timezone.now() + datetime.timedelta(hours=hours))
    )
    assert (status, message.outcome) == (200, Outcome.ACCEPTED)
    notice.refresh_from_db()
    assert notice.status == Status.PAID
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("45.50")


def test_a_receipt_dated_9999_posted_to_the_endpoint_is_refused(giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    body = receipt_body(option=single_option(notice), paid_at=datetime.datetime(9999, 6, 1, tzinfo=datetime.UTC))
    raw, headers = signed(body)
    response = Client().post(
        reverse("payments:receipt_intake"),
        raw,
        content_type="application/json",
        headers={"X-PagoPA-Signature": headers["X-PagoPA-Signature"]},
    )
    assert response.status_code == 422
    assert response.json()["outcome"] == "KO"
    assert ReceiptMessage.objects.get().outcome == Outcome.REJECTED
    nothing_credited()


def test_an_outcome_ko_is_stored_acknowledged_and_credits_nothing(giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    message, status = receipt_post(receipt_body(option=single_option(notice), outcome="KO"))
    assert (status, message.outcome) == (200, Outcome.REJECTED)
    assert "KO" in message.reason
    nothing_credited()


def test_a_replayed_receipt_is_a_duplicate_and_credits_once(giulia, parent):
    notice = notice_make(child=giulia, payer=parent, amount="30.00")
    body = receipt_body(option=single_option(notice))
    first, _status = receipt_post(body)
    again, status = receipt_post(body)
    assert status == 200
    assert (first.outcome, again.outcome) == (Outcome.ACCEPTED, Outcome.DUPLICATE)
    assert Receipt.objects.count() == LedgerEntry.objects.count() == OutboxEmail.objects.count() == 1
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("30.00")
    assert ReceiptMessage.objects.count() == 2


def test_a_receipt_id_reused_for_another_payment_is_a_conflict(giulia, parent):
    one = notice_make(child=giulia, payer=parent, amount="30.00")
    two = notice_make(child=giulia, payer=parent, amount="30.00")
    receipt_pay(single_option(one), receipt_id="R-1")
    message, status = receipt_pay(single_option(two), receipt_id="R-1")
    assert (status, message.outcome) == (409, Outcome.REJECTED)
    two.refresh_from_db()
    assert two.status == Status.ISSUED
    assert LedgerEntry.objects.count() == 1


def test_a_late_receipt_for_an_expired_notice_is_accepted_and_flagged(giulia, parent):
    notice = notice_make(child=giulia, payer=parent, due_in_days=0)
    PaymentNotice.objects.filter(pk=notice.pk).update(status=Status.EXPIRED)
    message, status = receipt_pay(single_option(notice))
    assert (status, message.outcome) == (200, Outcome.FLAGGED)
    notice.refresh_from_db()
    assert (notice.status, notice.flagged) == (Status.PAID, True)
    receipt = Receipt.objects.get()
    assert receipt.flagged
    assert "scadenza" in receipt.flag_reason
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("45.50")


def test_a_receipt_for_a_cancelled_notice_is_accepted_flagged_and_the_notice_stays_cancelled(giulia, parent):
    notice = notice_make(child=giulia, payer=parent, purpose="fee", amount="60.00", causale="Retta nido")
    services.notice_cancel(notice_id=notice.pk, actor=parent, reason="errore")
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("0.00")
    message, status = receipt_pay(single_option(notice))
    assert (status, message.outcome) == (200, Outcome.FLAGGED)
    notice.refresh_from_db()
    assert (notice.status, notice.flagged) == (Status.CANCELLED, True)
    assert "annullato" in Receipt.objects.get().flag_reason
    # the money arrived: it is on the child's account until the office refunds it
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("60.00")
    assert Balance.objects.get(child=giulia, service_kind="canteen").amount == Decimal("60.00")


def test_instalments_out_of_order_pay_the_notice_when_the_last_arrives(giulia, parent):
    notice = notice_make(
        child=giulia,
        payer=parent,
        purpose="fee",
        amount="300.00",
        causale="Trasporto a.s. 2026/2027",
        instalments=[("100.00", 10), ("100.00", 40), ("100.00", 70)],
    )
    rate = {o.instalment: o for o in notice.options.all()}
    for number in (3, 1):
        assert receipt_pay(rate[number])[1] == 200
        notice.refresh_from_db()
        assert notice.status == Status.ISSUED
    receipt_pay(rate[2])
    notice.refresh_from_db()
    assert (notice.status, notice.flagged) == (Status.PAID, False)
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("0.00")


def test_paying_in_full_after_an_instalment_is_accepted_and_flagged(giulia, parent):
    notice = notice_make(child=giulia, payer=parent, amount="200.00", instalments=[("100.00", 10), ("100.00", 40)])
    rate = {o.instalment: o for o in notice.options.all()}
    receipt_pay(rate[1])
    message, _status = receipt_pay(rate[0])
    assert message.outcome == Outcome.FLAGGED
    notice.refresh_from_db()
    assert (notice.status, notice.flagged) == (Status.PAID, True)
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("300.00")  # nothing lost: refund later
    message, _status = receipt_pay(rate[2])
    assert message.outcome == Outcome.FLAGGED
    assert "già pagato" in Receipt.objects.order_by("-pk").first().flag_reason


def test_no_email_without_a_payer_address(giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    parent.is_active = False
    parent.save(update_fields=["is_active"])
    assert receipt_pay(single_option(notice))[1] == 200
    assert not OutboxEmail.objects.exists()
    assert LedgerEntry.objects.count() == 1


# --- the endpoint ------------------------------------------------------------------------------------------------


def test_the_endpoint_answers_json_and_needs_no_csrf_token(giulia, parent):
    client = Client(enforce_csrf_checks=True)
    notice = notice_make(child=giulia, payer=parent)
    raw, headers = signed(receipt_body(option=single_option(notice)))
    url = reverse("payments:receipt_intake")
    response = client.post(
        url, raw, content_type="application/json", headers={"X-PagoPA-Signature": headers["X-PagoPA-Signature"]}
    )
    assert response.status_code == 200
    assert response.json() == {"outcome": "OK"}
    response = client.post(url, raw, content_type="application/json", headers={"X-PagoPA-Signature": "sha256=00"})
    assert response.status_code == 401
    assert response.json()["outcome"] == "KO"
    assert response.json()["fault"] == "PAA_FIRMA_NON_VALIDA"
    assert client.get(url).status_code == 405
    assert ReceiptMessage.objects.count() == 2


def test_paying_at_the_fake_platform_pays_the_notice_end_to_end(giulia, parent):
    notice = notice_make(child=giulia, payer=parent, amount="25.00")
    services.notice_publish(notice_id=notice.pk)
    [body] = pay_notices_at_fake(None, [single_option(notice).notice_number])
    notice.refresh_from_db()
    assert notice.status == Status.PAID
    receipt = Receipt.objects.get()
    assert receipt.receipt_id == body["receiptId"]
    assert receipt.message.channel == ReceiptMessage.Channel.SOAP  # paSendRTV2 to the station, as the Nodo does
    assert f"<receiptId>{body['receiptId']}</receiptId>" in receipt.message.body
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("25.00")


def test_the_receipt_keeps_the_psps_fiscal_code_and_the_application_date(giulia, parent):
    """ctReceiptV2's pspFiscalCode and applicationDate, printed on the payer's attestation (issue 12)."""
    notice = notice_make(child=giulia, payer=parent)
    body = receipt_body(option=single_option(notice))
    body |= {"pspFiscalCode": "12345678901", "applicationDate": "2026-03-03"}
    _message, status = receipt_post(body)
    assert status == 200
    receipt = Receipt.objects.get(notice=notice)
    assert (receipt.psp_fiscal_code, receipt.application_date) == ("12345678901", datetime.date(2026, 3, 3))


def test_an_application_date_that_is_not_a_date_is_a_malformed_receipt(giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    body = receipt_body(option=single_option(notice)) | {"applicationDate": "ieri"}
    _message, status = receipt_post(body)
    assert status == 400
    assert not Receipt.objects.filter(notice=notice).exists()
