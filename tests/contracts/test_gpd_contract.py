"""The debt positions the portal sends, against our schema of GPD's published contract
(tests/contracts/gpd_payment_position_create.schema.json, issue 12 point 1): every body the client sends validates,
dates are UTC with no offset, no read-only field is sent, and the fake refuses what GPD refuses."""

import datetime
import json
from pathlib import Path

import httpx
import jsonschema
import pytest

from payments.gateway.http import HttpGateway, gpd_datetime
from portal.http_transport import wsgi_transport
from tests.mockpsp.helpers import gateway_position

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((Path(__file__).parent / "gpd_payment_position_create.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _capturing_gateway(sent: list[dict]) -> HttpGateway:
    """The real client, its requests recorded on their way to the fake (in memory)."""
    inner = wsgi_transport()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/debtpositions"):
            sent.append(json.loads(request.content))
        return inner.handle_request(request)

    return HttpGateway(transport=httpx.MockTransport(handler))


@pytest.mark.parametrize("partial", [False, True], ids=["single", "instalments"])
def test_every_position_the_client_sends_follows_the_contract(partial):
    sent: list[dict] = []
    position = gateway_position(amounts_cents=(4550, 1000) if partial else (4550,), partial=partial)

    assert _capturing_gateway(sent).debt_position_create(position=position) == "VALID"

    assert len(sent) == 1
    errors = sorted(error.message for error in VALIDATOR.iter_errors(sent[0]))
    assert errors == []
    for option in sent[0]["paymentOption"]:
        assert option["dueDate"].endswith("Z")
        assert "fee" not in option


def test_a_due_date_is_the_last_second_of_the_day_in_rome_written_in_utc():
    assert gpd_datetime(datetime.date(2026, 12, 22)) == "2026-12-22T22:59:59Z"  # winter: Rome is UTC+1
    assert gpd_datetime(datetime.date(2026, 7, 1)) == "2026-07-01T21:59:59Z"  # summer: UTC+2


@pytest.mark.parametrize(
    ("position_change", "option_change", "message"),
    [
        ({}, {"dueDate": "2027-12-22T23:59:59+01:00"}, "no offset"),
        ({}, {"notificationFee": 100}, "read-only"),
        ({"status": "VALID"}, {}, "read-only"),
        ({"paymentDate": "2027-01-01T10:00:00Z"}, {}, "read-only"),
    ],
    ids=["offset date", "notificationFee", "status", "paymentDate"],
)
def test_the_fake_refuses_what_gpd_refuses(client, settings, position_change, option_change, message):
    body = HttpGateway()._position_body(gateway_position(amounts_cents=(1000,)))
    body.update(position_change)
    body["paymentOption"] = [dict(body["paymentOption"][0], **option_change)]
    assert VALIDATOR.is_valid(body) is False  # our schema of the contract refuses it too

    response = client.post(
        f"/mockpsp/api/organizations/{settings.PAGOPA_CREDITOR_FISCAL_CODE}/debtpositions",
        json.dumps(body),
        content_type="application/json",
        headers={"Ocp-Apim-Subscription-Key": settings.PAGOPA_SUBSCRIPTION_KEY},
    )

    assert response.status_code == 400
    assert message in response.json()["detail"]
