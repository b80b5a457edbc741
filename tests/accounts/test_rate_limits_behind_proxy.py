"""Rate limits count per client, not per proxy: behind the compose proxy one attacker locks out no one else, and
without a proxy a forged X-Forwarded-For does not give an attacker a fresh address (HTTP)."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Consent
from payments.models import ReceiptMessage
from tests.accounts.test_registration import NEW_CF, signup_data
from tests.conftest import PASSWORD

PROXY = "10.0.0.2"
ATTACKER = "203.0.113.66"
PARENT = "198.51.100.7"
TOO_MANY = "Troppi tentativi di accesso"


def wrong_passwords_on_five_accounts(client: Client, **extra):
    """The login_failed limit per address is 5: five different accounts, so the per-account limit is never hit."""
    for n in range(5):
        response = client.post(
            reverse("account_login"), {"login": f"utente{n}@example.it", "password": "wrong-password"}, **extra
        )
        assert response.status_code == 200
        assert TOO_MANY not in response.content.decode()


def login(client: Client, user, **extra):
    return client.post(reverse("account_login"), {"login": user.codice_fiscale, "password": PASSWORD}, **extra)


@pytest.fixture
def behind_one_proxy(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1


def via_proxy(client_address: str, forged: str = "") -> dict:
    """Request extras as the proxy forwards them: from the proxy's address, the client's appended to the chain."""
    chain = f"{forged}, {client_address}" if forged else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": chain}


def test_behind_a_proxy_one_attacker_does_not_lock_out_another_parent(behind_one_proxy, parent):
    attacker = Client()
    wrong_passwords_on_five_accounts(attacker, **via_proxy(ATTACKER))

    parent_client = Client()
    response = login(parent_client, parent, **via_proxy(PARENT))

    assert response.status_code == 302
    assert parent_client.session["_auth_user_id"] == str(parent.pk)


def test_behind_a_proxy_the_attacker_stays_limited_whatever_they_forge(behind_one_proxy, parent):
    attacker = Client()
    for n in range(5):
        attacker.post(
            reverse("account_login"),
            {"login": f"utente{n}@example.it", "password": "wrong-password"},
            **via_proxy(ATTACKER, forged=f"192.0.2.{n}"),
        )

    response = login(attacker, parent, **via_proxy(ATTACKER, forged="192.0.2.200"))

    assert TOO_MANY in response.content.decode()
    assert "_auth_user_id" not in attacker.session


def test_direct_a_forged_forwarded_header_does_not_escape_the_limit(parent):
    attacker = Client()
    for n in range(5):
        attacker.post(
            reverse("account_login"),
            {"login": f"utente{n}@example.it", "password": "wrong-password"},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )

    response = login(attacker, parent, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.200")

    assert TOO_MANY in response.content.decode()
    assert "_auth_user_id" not in attacker.session


def test_behind_a_proxy_signups_are_limited_per_client_not_for_the_whole_city(
    behind_one_proxy, settings, legal_documents
):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "1/h/ip"}
    first = Client().post(reverse("account_signup"), signup_data(), **via_proxy(ATTACKER))
    assert first.status_code == 302

    second = Client().post(
        reverse("account_signup"),
        signup_data(username="BNCLCU82L04F205H", email="luca.bianchi@example.it"),
        **via_proxy(PARENT),
    )

    assert second.status_code == 302
    # The consents record the client's address, not the proxy's.
    assert set(Consent.objects.filter(user__codice_fiscale=NEW_CF).values_list("ip_address", flat=True)) == {ATTACKER}
    assert set(
        Consent.objects.filter(user__codice_fiscale="BNCLCU82L04F205H").values_list("ip_address", flat=True)
    ) == {PARENT}
    # And the same client again is refused.
    third = Client().post(
        reverse("account_signup"),
        signup_data(username="VRDPLA80D10H501X", email="paolo.verdi@example.it"),
        **via_proxy(ATTACKER),
    )
    assert third.status_code == 429


def test_behind_a_proxy_the_receipt_intake_records_the_sender_not_the_proxy(behind_one_proxy, db):
    Client().post(
        reverse("payments:receipt_intake"),
        json.dumps({"receiptId": "x"}),
        content_type="application/json",
        headers={"X-PagoPA-Signature": "not-a-signature"},
        **via_proxy(PARENT, forged=ATTACKER),
    )

    assert ReceiptMessage.objects.get().remote_addr == PARENT
