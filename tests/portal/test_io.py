"""IO messages: the notice a parent is sent reaches the app IO (payable there) as the parent chose; every request
follows IO's published schema; what IO refuses or cannot take leaves the e-mail going, never two copies."""

import datetime
import json
from pathlib import Path
from unittest import mock

import httpx
import jsonschema
import pytest
import time_machine
from django.core import mail as django_mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from mockio.models import Behaviour, Message, Profile
from portal import io
from portal.http_transport import wsgi_transport
from portal.models import IoMessage, NotificationDefault, NotificationPreference, OutboxEmail
from portal.notify import preferences_save
from tests.payments.factories import notice_make, receipt_pay, single_option

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((Path(__file__).parents[1] / "contracts" / "io_services.schema.json").read_text(encoding="utf-8"))


def _validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({**SCHEMA, "$ref": f"#/$defs/{name}"})


@pytest.fixture
def on_io(parent):
    return Profile.objects.create(fiscal_code=parent.codice_fiscale)


@pytest.fixture
def wire(monkeypatch):
    """The real client's requests and IO's answers, recorded on their way to the fake (in memory)."""
    seen: list[tuple[str, dict, int, dict]] = []
    inner = wsgi_transport()

    def handler(request: httpx.Request) -> httpx.Response:
        response = inner.handle_request(request)
        body = response.read()
        seen.append((request.url.path, json.loads(request.content), response.status_code, json.loads(body or b"{}")))
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    monkeypatch.setattr(io, "configured_transport", lambda setting: httpx.MockTransport(handler))
    return seen


def _issue(giulia, parent, amount="45.50"):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return notice_make(child=giulia, payer=parent, purpose="fee", service_kind="transport", amount=amount)


def test_a_notice_reaches_io_payable_and_every_request_follows_the_contract(giulia, parent, on_io, wire):
    notice = _issue(giulia, parent)
    row = IoMessage.objects.get()
    assert (row.status, row.kind, row.service) == ("sent", "notice", "transport")
    option = single_option(notice)
    delivered = Message.objects.get(pk=row.io_message_id)
    assert delivered.status == "PROCESSED"
    assert delivered.content["payment_data"] == {
        "amount": 4550,
        "notice_number": option.notice_number,
        "invalid_after_due_date": False,
    }
    assert delivered.content["subject"] == "Hai un nuovo avviso di pagamento"
    assert "**Devi pagare**: 45,50 €" in delivered.content["markdown"]
    # due date: the end of that day in Italy, in UTC
    assert delivered.content["due_date"] == io.due_instant(option.due_date).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    paths = [path for path, *_rest in wire]
    assert paths == ["/mockio/api/v1/profiles", "/mockio/api/v1/messages"]
    (_p, profile_body, _s, profile_answer), (_m, message_body, status, created) = wire
    _validator("FiscalCodePayload").validate(profile_body)
    _validator("LimitedProfile").validate(profile_answer)
    _validator("NewMessage").validate(message_body)
    assert status == 201
    _validator("CreatedMessage").validate(created)
    assert "payee" not in message_body["content"]["payment_data"]  # IO fills in the service's organization
    assert len(django_mail.outbox) == 1  # "both" (the default): the e-mail goes too


def test_not_on_io_the_email_goes_alone(giulia, parent, wire):
    _issue(giulia, parent)
    assert IoMessage.objects.get().status == "not_on_io"
    assert [path for path, *_r in wire] == ["/mockio/api/v1/profiles"]  # no message without a profile
    assert len(django_mail.outbox) == 1


def test_io_only_holds_the_email_until_io_takes_the_message(giulia, parent, on_io):
    preferences_save(user_id=parent.pk, choices={"notice": "io"})
    _issue(giulia, parent)
    row = IoMessage.objects.get()
    assert row.status == "sent"
    assert OutboxEmail.objects.get(pk=row.email_id).status == "not_needed"
    assert django_mail.outbox == []


def test_io_only_and_the_service_switched_off_the_held_email_goes(giulia, parent, on_io):
    on_io.blocked_services = ["transport"]
    on_io.save()
    preferences_save(user_id=parent.pk, choices={"notice": "io"})
    _issue(giulia, parent)
    row = IoMessage.objects.get()
    assert row.status == "not_allowed"
    assert OutboxEmail.objects.get(pk=row.email_id).status == "sent"
    assert len(django_mail.outbox) == 1
    assert not Message.objects.exists()


def test_email_only_writes_no_io_message(giulia, parent, on_io):
    preferences_save(user_id=parent.pk, choices={"notice": "email"})
    _issue(giulia, parent)
    assert not IoMessage.objects.exists()
    assert len(django_mail.outbox) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"subject": "Avviso"}, "oggetto di 6 caratteri"),
        ({"markdown": "Troppo corto."}, "testo di 13 caratteri"),
        ({"payment_data": {"amount": 0, "notice_number": "301000000000012373"}}, "importo"),
        ({"payment_data": {"amount": 100, "notice_number": "301000000000012399"}}, "cifre di controllo"),
    ],
)
def test_a_message_out_of_the_api_bounds_is_never_sent(parent, on_io, wire, change, reason):
    fields = {"subject": "Hai un nuovo avviso di pagamento", "markdown": "x" * 100, **change}
    row = IoMessage.objects.create(kind="notice", service="canteen", fiscal_code=parent.codice_fiscale, **fields)
    assert io.io_deliver(message_id=row.pk) == "invalid"
    row.refresh_from_db()
    assert reason in row.last_error
    assert wire == []


def test_io_answering_429_for_an_hour_then_back_sends_once(giulia, parent, on_io):
    Behaviour.objects.update_or_create(
        pk=1, defaults={"throttled_until": timezone.now() + datetime.timedelta(hours=1)}
    )
    _issue(giulia, parent)
    row = IoMessage.objects.get()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at > timezone.now()
    assert len(django_mail.outbox) == 1  # the e-mail did not wait for IO
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=30)):
        assert io.io_dispatch_due() == 0  # still throttled: retried later, not given up
    Behaviour.objects.filter(pk=1).update(throttled_until=None)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2)):
        assert io.io_dispatch_due() == 1
        assert io.io_dispatch_due() == 0
    assert Message.objects.count() == 1  # never two copies
    assert IoMessage.objects.get().status == "sent"


def test_io_down_past_the_give_up_time_releases_the_held_email(giulia, parent, on_io, settings):
    preferences_save(user_id=parent.pk, choices={"notice": "io"})
    Behaviour.objects.update_or_create(pk=1, defaults={"down": True})
    _issue(giulia, parent)
    row = IoMessage.objects.get()
    assert row.status == "pending"
    assert OutboxEmail.objects.get(pk=row.email_id).status == "held"
    with (
        time_machine.travel(timezone.now() + datetime.timedelta(hours=settings.IO_GIVE_UP_HOURS + 1)),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        io.io_dispatch_due()
    row.refresh_from_db()
    assert row.status == "given_up"
    assert OutboxEmail.objects.get(pk=row.email_id).status == "sent"


def test_no_answer_after_sending_is_uncertain_and_not_sent_again(giulia, parent, on_io, monkeypatch):
    inner = wsgi_transport()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/messages"):
            inner.handle_request(request)  # IO takes it, the answer is lost
            raise httpx.ReadTimeout("no answer", request=request)
        return inner.handle_request(request)

    monkeypatch.setattr(io, "configured_transport", lambda setting: httpx.MockTransport(handler))
    _issue(giulia, parent)
    assert IoMessage.objects.get().status == "uncertain"
    assert io.io_dispatch_due() == 0
    assert Message.objects.count() == 1


def test_a_service_without_a_key_sends_no_io_message(giulia, parent, on_io, settings):
    settings.IO_SERVICES = {**settings.IO_SERVICES, "transport": {"key": ""}}
    _issue(giulia, parent)
    assert not IoMessage.objects.exists()
    assert len(django_mail.outbox) == 1


def test_a_payment_received_is_told_in_io(giulia, parent, on_io):
    notice = _issue(giulia, parent)
    with TestCase.captureOnCommitCallbacks(execute=True):
        receipt_pay(single_option(notice))
    rows = IoMessage.objects.order_by("pk")
    assert [row.kind for row in rows] == ["notice", "payment"]
    assert rows[1].status == "sent"
    assert "45,50 €" in Message.objects.get(pk=rows[1].io_message_id).content["markdown"]


def test_school_notices_and_topups_are_email_only(giulia, parent, on_io):
    with TestCase.captureOnCommitCallbacks(execute=True):
        notice_make(child=giulia, payer=parent, amount="20.00")  # a top-up: the parent is paying it now
    assert not IoMessage.objects.exists()


# --- the parent's preferences ------------------------------------------------------------------------------------


def test_the_parent_chooses_io_only_for_notices(parent_client, parent):
    url = reverse("accounts:notification_preferences")
    page = parent_client.get(url).content.decode()
    assert "Come ricevere i messaggi" in page
    data = {"enrollment": "email", "notice": "io", "payment": "both", "balance": "both"}
    assert parent_client.post(url, data).status_code == 302
    assert NotificationPreference.objects.get(user=parent, kind="notice").channel == "io"
    refused = parent_client.post(url, {**data, "notice": "piccione"})
    assert refused.status_code == 400
    assert "Scegli una delle possibilità elencate." in refused.content.decode()
    assert NotificationPreference.objects.get(user=parent, kind="notice").channel == "io"


# --- the fake is as strict as IO -----------------------------------------------------------------------------------


def _call(client, path, body, key="mock-io-key-canteen"):
    return client.post(
        f"/mockio/api/v1/{path}", json.dumps(body), content_type="application/json", HTTP_OCP_APIM_SUBSCRIPTION_KEY=key
    )


GOOD = {
    "fiscal_code": "RSSMRA85C52H501N",
    "content": {"subject": "Hai un nuovo avviso di pagamento", "markdown": "m" * 80},
}


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({**GOOD, "content": {**GOOD["content"], "subject": "corto"}}, 400, "content.subject"),
        ({**GOOD, "content": {**GOOD["content"], "markdown": "m" * 79}}, 400, "content.markdown"),
        ({**GOOD, "fiscal_code": "rssmra85c52h501n"}, 400, "fiscal_code"),
        (
            {**GOOD, "content": {**GOOD["content"], "payment_data": {"amount": 0, "notice_number": "3" * 18}}},
            400,
            "amount",
        ),
        (
            {**GOOD, "content": {**GOOD["content"], "payment_data": {"amount": 1, "notice_number": "4" * 18}}},
            400,
            "notice_number",
        ),
        (
            {
                **GOOD,
                "content": {
                    **GOOD["content"],
                    "payment_data": {"amount": 1, "notice_number": "3" * 18, "payee": {"fiscal_code": "00000000000"}},
                },
            },
            403,
            "payee",
        ),
        ({**GOOD, "feature_level_type": "ADVANCED"}, 403, "ADVANCED"),
        ({**GOOD, "time_to_live": 60}, 400, "time_to_live"),
    ],
)
def test_the_fake_refuses_what_io_refuses(client, body, status, detail):
    answer = _call(client, "messages", body)
    assert answer.status_code == status
    assert detail in answer.json()["detail"]
    assert not Message.objects.exists()


def test_the_fake_answers_401_like_apim_and_404_for_an_unknown_profile(client):
    answer = _call(client, "profiles", {"fiscal_code": "RSSMRA85C52H501N"}, key="wrong")
    assert (answer.status_code, answer.json()["statusCode"]) == (401, 401)
    assert _call(client, "profiles", {"fiscal_code": "RSSMRA85C52H501N"}).status_code == 404
    created = _call(client, "messages", GOOD)  # accepted for anyone, then rejected: not on IO
    assert created.status_code == 201
    assert Message.objects.get(pk=created.json()["id"]).status == "REJECTED"


def test_the_inbox_shows_the_notice_with_pay(client, giulia, parent, on_io):
    notice = _issue(giulia, parent, amount="12.50")
    page = client.get(reverse("mockio:inbox"), {"cf": parent.codice_fiscale}).content.decode()
    assert "Hai un nuovo avviso di pagamento" in page
    assert "12,50" in page
    assert f"notice_number={single_option(notice).notice_number}" in page
    assert ">Paga</a>" in page


def test_broker_down_leaves_the_message_to_the_beat_job(giulia, parent, on_io):
    with mock.patch("portal.tasks.io_send_task.delay", side_effect=OSError("broker down")):
        _issue(giulia, parent)
    assert IoMessage.objects.get().status == "pending"
    assert io.io_dispatch_due() == 1


def test_the_offices_default_applies_until_the_parent_chooses(giulia, parent, on_io):
    NotificationDefault.objects.create(kind="notice", channel="io")
    _issue(giulia, parent)
    row = IoMessage.objects.get()
    assert OutboxEmail.objects.get(pk=row.email_id).status == "not_needed"  # IO only: the e-mail was not needed
    preferences_save(user_id=parent.pk, choices={"notice": "email"})
    _issue(giulia, parent)
    assert IoMessage.objects.count() == 1  # the parent's own choice wins
