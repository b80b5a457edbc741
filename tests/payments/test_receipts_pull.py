"""Lost pushes: the hourly pull from the receipts service and the sweep of positions still open (issue 12), against
the fake in its strict mode, every request and answer checked against tests/contracts/gpd_receipts.schema.json."""

import datetime
import json
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import jsonschema
import pytest
import time_machine
from django.utils import timezone
from lxml import etree

from mockpsp.models import ReceiptDelivery
from payments import services
from payments.gateway.http import HttpGateway
from payments.models import PaymentNotice, Receipt, ReceiptMessage
from payments.selectors import ledger_balance
from portal.http_transport import wsgi_transport
from tests.mockpsp.helpers import contract_validate, pay_notices_at_fake, set_behaviour

from .factories import notice_make, platform_down, single_option

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((Path(__file__).parents[1] / "contracts" / "gpd_receipts.schema.json").read_text())
API = "/mockpsp/api/payments/00000000000/receipts"
KEY = {"HTTP_OCP_APIM_SUBSCRIPTION_KEY": "mock-subscription-key"}
PA_FOR_NODE = "{http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd}"


def valid(instance: object, definition: str) -> None:
    jsonschema.validate(instance, {"$ref": f"#/$defs/{definition}"} | {"$defs": SCHEMA["$defs"]})


@pytest.fixture
def paid_without_push(giulia, parent):
    """A published notice paid at the fake, whose push to the station was lost."""
    notice = notice_make(child=giulia, payer=parent, amount="25.00")
    services.notice_publish(notice_id=notice.pk)
    set_behaviour(lose_pushes=True)
    pay_notices_at_fake(None, [single_option(notice).notice_number])
    assert not ReceiptDelivery.objects.exists()
    notice.refresh_from_db()
    assert notice.status == PaymentNotice.Status.ISSUED
    return notice


def test_a_lost_push_is_found_by_one_pull_and_a_second_run_changes_nothing(paid_without_push, giulia):
    first = services.receipts_pull()
    assert (first.accepted, first.failed) == (1, 0)
    paid_without_push.refresh_from_db()
    assert paid_without_push.status == PaymentNotice.Status.PAID
    assert Receipt.objects.get().message.channel == ReceiptMessage.Channel.PULL
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("25.00")
    messages = ReceiptMessage.objects.count()
    second = services.receipts_pull()
    assert (second.accepted, second.fetched, second.failed) == (0, 0, 0)
    assert ReceiptMessage.objects.count() == messages
    assert ledger_balance(child=giulia, service_kind="canteen") == Decimal("25.00")


def test_the_sweep_finds_a_position_paid_there_and_pulls_its_receipt(paid_without_push):
    assert services.positions_sweep().looked_up == 0  # published minutes ago: not yet
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=7)):
        result = services.positions_sweep()
    assert (result.looked_up, result.paid_there, result.pull.accepted) == (1, 1, 1)
    paid_without_push.refresh_from_db()
    assert paid_without_push.status == PaymentNotice.Status.PAID


def test_the_platform_down_leaves_everything_for_the_next_run(paid_without_push):
    with platform_down():
        result = services.receipts_pull()
    assert result.failed == 1
    assert not Receipt.objects.exists()
    assert not ReceiptMessage.objects.exists()
    assert services.receipts_pull().accepted == 1


def test_the_clients_requests_and_the_fakes_answers_follow_the_contract(paid_without_push):
    seen: list[httpx.Request] = []
    inner = wsgi_transport()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return inner.handle_request(request)

    gateway = HttpGateway(transport=httpx.MockTransport(handler))
    today = timezone.localdate()
    page = gateway.receipts_list(organization="00000000000", date_from=today, date_to=today, page=0)
    assert [item.iuv for item in page.items] == [single_option(paid_without_push).iuv]
    valid(dict(parse_qsl(seen[0].url.query.decode())), "listQuery")
    document = gateway.receipt_document(organization="00000000000", iuv=page.items[0].iuv)
    assert document is not None
    root = etree.fromstring(document)
    assert root.tag == "PaSendRTV2Request"  # no namespace, as the receipts service returns it
    root.tag = f"{PA_FOR_NODE}paSendRTV2Request"
    contract_validate(root)
    assert gateway.receipt_document(organization="00000000000", iuv="99999999999999999") is None


def test_the_fakes_list_is_paged_and_refuses_what_the_service_refuses(client, paid_without_push):
    response = client.get(API, {"pageNum": "0", "pageSize": "1"}, **KEY)
    assert response.status_code == 200
    valid(response.json(), "paymentsResult")
    assert response.json()["totalPages"] == 1
    assert client.get(API, {"pageNum": "1"}, **KEY).status_code == 404
    for bad in (
        {"pageSize": "101"},
        {"pageNum": "-1"},
        {"from": "03/12/2026"},
        {"from": "2026-12-05", "to": "2026-12-01"},
    ):
        answer = client.get(API, bad, **KEY)
        assert answer.status_code == 400, bad
        valid(answer.json(), "problemJson")
    assert client.get(API).status_code == 401


def test_a_pulled_receipt_for_another_creditor_is_not_taken(paid_without_push, settings):
    settings.PAGOPA_ID_PA = "01234567897"
    result = services.receipts_pull()
    assert (result.accepted, result.failed) == (0, 1)
    assert not Receipt.objects.exists()
