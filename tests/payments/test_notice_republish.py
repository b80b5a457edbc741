"""A debt position the platform refused: the office reads the platform's reason on the notice and sends it again
from the admin once the cause is fixed (issue 12, point 1)."""

import html
from unittest import mock

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from mockpsp.models import DebtPosition as MockPosition
from payments import services
from payments.errors import PlatformRejectedError
from payments.gateway import GatewayRejectedError
from payments.models import PaymentNotice, PaymentNoticeEvent
from tests.conftest import make_user
from tests.payments.factories import notice_make

pytestmark = pytest.mark.django_db
Action = PaymentNoticeEvent.Action


def _refused(giulia, parent) -> PaymentNotice:
    notice = notice_make(child=giulia, payer=parent)
    refusing = mock.Mock()
    refusing.debt_position_create.side_effect = GatewayRejectedError(
        "paymentOption[0].transfer[0].iban: not registered", status=400, code="PAA_SINTASSI"
    )
    with mock.patch("payments.gateway.get_gateway", return_value=refusing), pytest.raises(PlatformRejectedError):
        services.notice_publish(notice_id=notice.pk)
    notice.refresh_from_db()
    return notice


@pytest.fixture
def office_client(client, legal_documents):
    staff = make_user(
        codice_fiscale="VRDGLI79P61A944R",
        email="office@example.it",
        documents=legal_documents,
        is_staff=True,
        is_superuser=True,
    )
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    client.staff = staff
    return client


def test_the_office_reads_the_platforms_reason_on_the_notice(office_client, giulia, parent):
    notice = _refused(giulia, parent)
    page = office_client.get(reverse("admin:payments_paymentnotice_change", args=[notice.pk])).content.decode()
    assert "iban: not registered" in html.unescape(page)


def test_a_refused_notice_is_published_again_from_the_admin(office_client, giulia, parent):
    notice = _refused(giulia, parent)
    assert not MockPosition.objects.filter(iupd=notice.iupd).exists()

    response = office_client.post(
        reverse("admin:payments_paymentnotice_changelist"),
        {"action": "republish_notices", ACTION_CHECKBOX_NAME: [notice.pk]},
        follow=True,
    )

    notice.refresh_from_db()
    assert "1 avviso pubblicato." in response.content.decode()
    assert (notice.platform_state, notice.platform_error) == ("VALID", "")
    assert MockPosition.objects.get(iupd=notice.iupd).status == "VALID"
    retried = PaymentNoticeEvent.objects.get(notice=notice, action=Action.PLATFORM_RETRIED)
    assert retried.actor == office_client.staff
    assert "iban: not registered" in retried.reason


def test_refused_again_the_new_reason_is_shown(office_client, giulia, parent):
    notice = _refused(giulia, parent)
    refusing = mock.Mock()
    refusing.debt_position_create.side_effect = GatewayRejectedError("category: unknown", status=400, code="X")
    with mock.patch("payments.gateway.get_gateway", return_value=refusing):
        response = office_client.post(
            reverse("admin:payments_paymentnotice_changelist"),
            {"action": "republish_notices", ACTION_CHECKBOX_NAME: [notice.pk]},
            follow=True,
        )
    assert "category: unknown" in html.unescape(response.content.decode())
    notice.refresh_from_db()
    assert notice.platform_error.startswith("Rifiutato")


def test_a_notice_that_was_not_refused_is_not_sent_by_hand(office_client, giulia, parent):
    notice = notice_make(child=giulia, payer=parent)
    services.notice_publish(notice_id=notice.pk)

    response = office_client.post(
        reverse("admin:payments_paymentnotice_changelist"),
        {"action": "republish_notices", ACTION_CHECKBOX_NAME: [notice.pk]},
        follow=True,
    )

    assert "Non pubblicato" in response.content.decode()
    assert PaymentNoticeEvent.objects.filter(notice=notice, action=Action.PLATFORM_RETRIED).count() == 0
