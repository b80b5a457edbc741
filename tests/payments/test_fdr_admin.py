"""The ragioneria's reconciliation pages (issue 12): flows with their lines by outcome, the CSV of a bank transfer,
the day's totals, the receipts no flow reported; "Ragioneria" sees them, a parent does not."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.groups import ACCOUNTS_OFFICE_GROUP
from mockpsp import services as fake
from payments import services
from payments.models import FdrFlow, Receipt
from tests.mockpsp.helpers import pay_notices_at_fake
from tests.portal.test_office_groups import _member

from .factories import notice_make, single_option

pytestmark = pytest.mark.django_db


@pytest.fixture
def reconciled(giulia, parent):
    notices = []
    for amount in ("25.00", "12.50"):
        notice = notice_make(child=giulia, payer=parent, amount=amount)
        services.notice_publish(notice_id=notice.pk)
        notices.append(notice)
    pay_notices_at_fake(None, [single_option(n).notice_number for n in notices])
    fake.receipt_fdr_change(receipt_id=Receipt.objects.order_by("amount").first().receipt_id, action="drop")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1, hours=12)):
        services.fdr_import()
    return FdrFlow.objects.get()


@pytest.fixture
def ragioneria(client, legal_documents):
    client.force_login(_member(legal_documents, ACCOUNTS_OFFICE_GROUP))
    return client


def test_the_flow_list_shows_matched_and_problem_lines(ragioneria, reconciled):
    page = ragioneria.get(reverse("admin:payments_fdrflow_changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert reconciled.fdr in html
    assert "Totali del giorno" in html
    detail = ragioneria.get(reverse("admin:payments_fdrflow_change", args=[reconciled.pk])).content.decode()
    assert "abbinato</a>: 1" in detail


def test_the_bank_transfer_csv_lists_each_line_for_the_ragioneria(ragioneria, reconciled):
    response = ragioneria.get(reverse("admin:payments_fdrflow_csv", args=[reconciled.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *lines = [line for line in text.split("\r\n") if line]
    assert header.startswith("Identificativo regolamento;Data regolamento;Flusso;PSP;IUV;IUR")
    assert len(lines) == 1
    assert "25,00" in lines[0]
    assert "Refezione scolastica" in lines[0]
    assert "abbinato" in lines[0]


def test_the_days_totals_per_psp_and_service(ragioneria, reconciled):
    day = reconciled.regulation_date
    page = ragioneria.get(reverse("admin:payments_fdrflow_totals"), {"day": f"{day:%d/%m/%Y}"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "25,00" in html
    assert "Refezione scolastica" in html
    empty = ragioneria.get(reverse("admin:payments_fdrflow_totals"), {"day": "01/01/2020"}).content.decode()
    assert "Nessun flusso regolato in questo giorno." in empty


def test_the_receipt_in_no_flow_is_listed_after_three_working_days(ragioneria, reconciled):
    dropped = Receipt.objects.order_by("amount").first()
    assert dropped.iuv not in ragioneria.get(reverse("admin:payments_fdrflow_unreported")).content.decode()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        page = ragioneria.get(reverse("admin:payments_fdrflow_unreported"))
    assert dropped.iuv in page.content.decode()


def test_a_parent_cannot_see_the_reconciliation(client, parent, reconciled):
    client.force_login(parent)
    response = client.get(reverse("admin:payments_fdrflow_csv", args=[reconciled.pk]))
    assert response.status_code == 302
