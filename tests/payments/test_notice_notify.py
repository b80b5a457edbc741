"""The payer is told (issue 10, item 5): an e-mail through the outbox when a notice is issued (amount, due date,
codice avviso, a link to pay, the avviso PDF attached) and when it is cancelled (with the office's reason, also on the
parent's notice page). One e-mail per event, however often publication or delivery is retried."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from payments import pagopa, services
from portal import mail
from portal.models import OutboxEmail
from tests.payments.factories import notice_make, parent_make, publish, single_option

pytestmark = pytest.mark.django_db

ISSUED, CANCELLED = "payment_notice_issued", "payment_notice_cancelled"


def _fee(child, payer, **kwargs):
    kwargs.setdefault("causale", "Duplicato tessera trasporto a.s. 2026/2027")
    return notice_make(child=child, payer=payer, purpose="fee", service_kind="transport", **kwargs)


def _notice_url(notice) -> str:
    return f"http://{settings.PORTAL_DOMAIN}{reverse('payments:notice_detail', kwargs={'pk': notice.pk})}"


def test_an_issued_notice_is_e_mailed_to_the_payer_with_the_pdf(
    giulia, parent, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        notice = _fee(giulia, parent, amount="1234.50", due_in_days=20)
    [sent] = mailoutbox
    number = pagopa.notice_number_grouped(single_option(notice).notice_number)
    due = (timezone.localdate() + datetime.timedelta(days=20)).strftime("%d/%m/%Y")
    assert sent.to == [parent.email]
    assert (
        sent.subject
        == f"Nuovo avviso di pagamento: Duplicato tessera trasporto a.s. 2026/2027 — 1.234,50 € entro il {due}"
    )
    html = sent.alternatives[0][0]
    for body in (sent.body, html):
        assert "Gentile Maria Rossi" in body
        assert "1.234,50" in body
        assert due in body
        assert number in body
        assert _notice_url(notice) in body  # the link to pay, absolute
        assert "Giulia Rossi" in body
        assert "Trasporto" in body
    [(filename, content, content_type)] = sent.attachments
    assert filename == f"avviso-{single_option(notice).notice_number}.pdf"
    assert content_type == "application/pdf"
    assert content.startswith(b"%PDF")


def test_instalments_are_listed_with_their_codes(giulia, parent):
    notice = _fee(giulia, parent, amount="300.00", instalments=[("150.00", 10), ("150.00", 40)])
    email = OutboxEmail.objects.get(kind=ISSUED)
    for option in notice.options.filter(instalment__gt=0):
        assert pagopa.notice_number_grouped(option.notice_number) in email.body_text
        assert pagopa.notice_number_grouped(option.notice_number) in email.body_html
    assert "in 2 rate" in email.body_text
    assert "rata 2: 150,00 €" in email.body_text


def test_the_e_mail_is_italian_whatever_the_language_of_who_issues(giulia, parent):
    with translation.override("en"):
        _fee(giulia, parent)
    email = OutboxEmail.objects.get(kind=ISSUED)
    assert email.subject.startswith("Nuovo avviso di pagamento")
    assert "Codice avviso" in email.body_text


def test_bulk_fees_e_mail_every_payer_in_one_insert(giulia, parent, other_parent, django_assert_num_queries):
    from tests.payments.factories import child_make

    luca = child_make(adult=other_parent, first_name="Luca", last_name="Bianchi")
    today = timezone.localdate()
    spec = {"service_kind": "nursery", "purpose": "fee", "amount": Decimal("300.00"), "due_date": today}
    issued = services.notices_issue_bulk(
        specs=[
            {**spec, "child": giulia, "payer": parent, "causale": "Asilo nido - retta di ottobre - Giulia Rossi"},
            {**spec, "child": luca, "payer": other_parent, "causale": "Asilo nido - retta di ottobre - Luca Bianchi"},
        ]
    )
    assert issued == 2
    emails = OutboxEmail.objects.filter(kind=ISSUED).order_by("pk")
    assert [email.to for email in emails] == [[parent.email], [other_parent.email]]
    assert all(email.attachments[0]["builder"] == "payments.notice_pdf" for email in emails)


def test_a_top_up_is_not_e_mailed(giulia, parent):
    notice_make(child=giulia, payer=parent)  # the parent asked for it and is paying it
    assert not OutboxEmail.objects.exists()


def test_an_inactive_payer_gets_nothing(giulia):
    payer = parent_make()
    payer.is_active = False
    payer.save(update_fields=["is_active"])
    _fee(giulia, payer)
    assert not OutboxEmail.objects.exists()


def test_publishing_again_and_delivering_again_send_one_e_mail(
    giulia, parent, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        notice = _fee(giulia, parent)
    publish(notice)
    services.notice_publish(notice_id=notice.pk)
    services.notices_publish_pending(ids=[notice.pk])
    services.notices_publish_pending(min_age_seconds=0)
    email = OutboxEmail.objects.get()
    assert mail.email_deliver(email_id=email.pk) is False  # already sent
    assert mail.email_dispatch_pending(older_than_seconds=0) == 0
    assert len(mailoutbox) == 1
    assert OutboxEmail.objects.count() == 1


def test_a_cancelled_notice_is_e_mailed_with_the_reason_once(
    giulia, parent, staff_user, django_capture_on_commit_callbacks, mailoutbox
):
    notice = publish(_fee(giulia, parent, amount="12.50"))
    number = pagopa.notice_number_grouped(single_option(notice).notice_number)
    with django_capture_on_commit_callbacks(execute=True):
        services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="Tessera ritrovata dalla scuola")
    with django_capture_on_commit_callbacks(execute=True):
        services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="di nuovo")  # already done: no e-mail
    [sent] = mailoutbox
    assert sent.to == [parent.email]
    assert sent.subject == "Avviso di pagamento annullato: Duplicato tessera trasporto a.s. 2026/2027"
    for body in (sent.body, sent.alternatives[0][0]):
        assert "Tessera ritrovata dalla scuola" in body
        assert "non va pagato" in body
        assert number in body
        assert "12,50" in body
        assert _notice_url(notice) in body
        assert "di nuovo" not in body
    assert sent.attachments == []  # a cancelled notice is not to be paid: no avviso attached
    assert OutboxEmail.objects.filter(kind=CANCELLED).count() == 1


def test_a_refused_cancellation_sends_nothing(giulia, parent, staff_user):
    from payments.errors import PlatformUnavailableError
    from tests.payments.factories import platform_down

    notice = publish(notice_make(child=giulia, payer=parent))
    with platform_down(), pytest.raises(PlatformUnavailableError):
        services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="errore")
    assert not OutboxEmail.objects.filter(kind=CANCELLED).exists()


def test_the_parent_notice_page_shows_why_it_was_cancelled(parent_client, giulia, parent, staff_user):
    notice = publish(_fee(giulia, parent))
    url = reverse("payments:notice_detail", kwargs={"pk": notice.pk})
    assert "Motivo dell" not in parent_client.get(url).content.decode()
    services.notice_cancel(notice_id=notice.pk, actor=staff_user, reason="Tessera ritrovata dalla scuola")
    body = parent_client.get(url).content.decode()
    assert "annullato dall'ufficio" in body
    assert "Motivo dell'annullamento:" in body
    assert "Tessera ritrovata dalla scuola" in body
