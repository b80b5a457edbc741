"""Reconciliation flows (FdR, issue 12): paid against the fake, the next morning's flow is read, matched, the notice
REPORTED; the fake's corrections (a payment dropped, another amount, a line twice, a new revision) are listed, never
counted twice; every request and answer checked against tests/contracts/fdr_organization.schema.json."""

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

from mockpsp import services as fake
from mockpsp.models import DebtPosition
from payments import services
from payments.gateway import FdrListing
from payments.gateway.http import HttpGateway
from payments.models import FdrFlow, FdrLine, PaymentNotice, Receipt
from payments.reconciliation import receipts_unreported
from portal.http_transport import wsgi_transport
from tests.mockpsp.helpers import pay_notices_at_fake

from .factories import notice_make, single_option

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((Path(__file__).parents[1] / "contracts" / "fdr_organization.schema.json").read_text())
Outcome = FdrLine.Outcome
NEXT_MORNING = datetime.timedelta(days=1, hours=12)


def valid(instance: object, definition: str) -> None:
    jsonschema.validate(instance, {"$ref": f"#/$defs/{definition}"} | {"$defs": SCHEMA["$defs"]})


@pytest.fixture
def paid(giulia, parent):
    """Two notices paid at the fake (pushes delivered to the station): two receipts here."""
    notices = []
    for amount in ("25.00", "12.50"):
        notice = notice_make(child=giulia, payer=parent, amount=amount)
        services.notice_publish(notice_id=notice.pk)
        notices.append(notice)
    pay_notices_at_fake(None, [single_option(n).notice_number for n in notices])
    assert Receipt.objects.count() == 2
    return notices


def read_next_morning() -> services.fdr.FdrImportResult:
    with time_machine.travel(timezone.now() + NEXT_MORNING):
        return services.fdr_import()


def test_the_next_mornings_flow_matches_every_receipt_and_reports_the_notices(paid):
    assert services.fdr_import().flows_read == 0  # the flow is published the morning after
    result = read_next_morning()
    assert (result.flows_read, result.lines, result.failed) == (1, 2, 0)
    flow = FdrFlow.objects.get()
    assert flow.complete
    assert flow.sum_payments == Decimal("37.50")
    assert flow.regulation.startswith("SCT-")
    assert set(FdrLine.objects.values_list("outcome", flat=True)) == {Outcome.MATCHED}
    assert {line.receipt.iuv for line in FdrLine.objects.all()} == {single_option(n).iuv for n in paid}
    for notice in paid:
        notice.refresh_from_db()
        assert notice.platform_state == PaymentNotice.PlatformState.REPORTED
    assert set(DebtPosition.objects.values_list("status", flat=True)) == {"REPORTED"}  # the fake follows GPD


def test_reading_again_counts_nothing_twice(paid):
    read_next_morning()
    read_next_morning()
    assert FdrFlow.objects.count() == 1
    assert FdrLine.objects.count() == 2


def test_a_dropped_payment_and_another_amount_are_listed_in_a_new_revision(paid):
    read_next_morning()
    dropped, changed = Receipt.objects.order_by("amount")
    fake.receipt_fdr_change(receipt_id=changed.receipt_id, action="amount", amount_cents=2400)
    fake.receipt_fdr_change(receipt_id=dropped.receipt_id, action="drop")
    read_next_morning()
    flow = FdrFlow.objects.get()
    assert flow.revision == 2  # the PSP corrected its flow: a new revision replaces the lines read before
    lines = {line.iuv: line for line in FdrLine.objects.all()}
    assert list(lines) == [changed.iuv]
    assert lines[changed.iuv].outcome == Outcome.AMOUNT
    assert lines[changed.iuv].amount == Decimal("24.00")
    unreported = receipts_unreported(today=timezone.localdate() + datetime.timedelta(days=10))
    assert [receipt.pk for receipt in unreported] == [dropped.pk]


def test_a_payment_listed_twice_is_matched_once(paid):
    receipt = Receipt.objects.first()
    fake.receipt_fdr_change(receipt_id=receipt.receipt_id, action="twice")
    read_next_morning()
    outcomes = list(FdrLine.objects.filter(iuv=receipt.iuv).order_by("index").values_list("outcome", flat=True))
    assert outcomes == [Outcome.MATCHED, Outcome.DUPLICATE]


def test_a_payment_missing_here_is_pulled_and_then_matched(paid):
    receipt = Receipt.objects.first()
    iuv = receipt.iuv
    FdrLine.objects.all().delete()
    Receipt.objects.filter(pk=receipt.pk).update(receipt_id="ALTRO-" + receipt.receipt_id[:20])  # not the PSP's IUR
    result = read_next_morning()
    assert result.outcomes.get(Outcome.MISSING) == 1
    line = FdrLine.objects.get(iuv=iuv)
    assert line.outcome == Outcome.MISSING  # the pull finds the same IUV already paid here: listed for the office


class _ForeignGateway:
    """A platform answering one flow addressed to another organization."""

    def fdr_list(self, **_kwargs) -> FdrListing:
        return FdrListing(flows=[{"fdr": "2026-12-01X-1", "pspId": "X", "revision": 1}], total_pages=1)

    def fdr_flow(self, **_kwargs) -> dict:
        return {"receiver": {"organizationId": "01234567897"}, "totPayments": 1, "sumPayments": 5.0}

    def fdr_payments(self, *, sink, page, **_kwargs) -> int:
        if page > 1:
            return 0
        from payments.gateway import FdrPayment

        sink(FdrPayment(1, "01000000000000000", "IUR1", 1, Decimal("5.00"), None, "EXECUTED"))
        return 1


def test_a_flow_for_another_organization_is_kept_apart(monkeypatch):
    monkeypatch.setattr("payments.gateway.get_gateway", lambda: _ForeignGateway())
    services.fdr_import()
    flow = FdrFlow.objects.get()
    assert flow.foreign
    assert FdrLine.objects.get().outcome == Outcome.FOREIGN


def test_the_clients_requests_and_the_fakes_answers_follow_the_contract(paid):
    seen: list[httpx.Request] = []
    inner = wsgi_transport()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        response = inner.handle_request(request)
        response.read()
        kind = "flowsPage" if request.url.path.endswith("/fdrs") else "paymentsPage"
        if "/revisions/" in request.url.path and not request.url.path.endswith("/payments"):
            kind = "flow"
        valid(json.loads(response.content), kind)
        return response

    with time_machine.travel(timezone.now() + NEXT_MORNING):
        gateway = HttpGateway(transport=httpx.MockTransport(handler))
        listing = gateway.fdr_list(organization="00000000000", published_after=None, page=1)
        flow = listing.flows[0]
        gateway.fdr_flow(organization="00000000000", fdr=flow["fdr"], revision=flow["revision"], psp_id=flow["pspId"])
        read: list = []
        gateway.fdr_payments(
            organization="00000000000",
            fdr=flow["fdr"],
            revision=flow["revision"],
            psp_id=flow["pspId"],
            page=1,
            sink=read.append,
        )
    assert sorted(p.amount for p in read) == [Decimal("12.50"), Decimal("25.00")]
    valid(dict(parse_qsl(seen[0].url.query.decode())), "listQuery")
    valid(dict(parse_qsl(seen[-1].url.query.decode())), "paymentsQuery")


def test_the_fake_refuses_what_the_service_refuses(client):
    key = {"HTTP_OCP_APIM_SUBSCRIPTION_KEY": "mock-subscription-key"}
    url = "/mockpsp/api/organizations/00000000000/fdrs"
    for bad in ({"size": "1001"}, {"page": "0"}, {"publishedGt": "ieri"}):
        answer = client.get(url, bad, **key)
        assert answer.status_code == 400, bad
        valid(answer.json(), "error")
    missing = client.get(f"{url}/NOPE/revisions/1/psps/X", **key)
    assert missing.status_code == 404
    assert client.get(url).status_code == 401
