"""Staff reach the admin only through the portal's login, with TOTP activated and asked at login."""

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.urls import reverse

from tests.conftest import PASSWORD, make_user


@pytest.fixture
def staff(legal_documents):
    return make_user(
        codice_fiscale="VRDGLI79P61A944R",
        email="ufficio@example.it",
        documents=legal_documents,
        is_staff=True,
        is_superuser=True,
    )


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def test_admin_login_form_hands_over_to_the_portal_login(client, legal_documents):
    response = client.get(reverse("admin:login") + "?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response.url == reverse("account_login") + "?next=%2Fadmin%2Faccounts%2Fuser%2F"


def test_staff_without_totp_is_sent_to_activate_it(client, staff):
    client.post(reverse("account_login"), {"login": staff.codice_fiscale, "password": PASSWORD})
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")


def test_staff_with_totp_must_give_the_code_at_login_then_enters_the_admin(client, staff):
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)

    response = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert client.get(reverse("admin:index")).status_code == 302  # not signed in yet

    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 302
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Ufficio scuola" in response.content.decode() or "ufficio scuola" in response.content.decode()


def test_parent_cannot_enter_the_admin(client, parent):
    client.force_login(parent)
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain
    assert reverse("admin:index") not in response.redirect_chain[-1][0]


def test_admin_login_is_rate_limited_like_the_portal_login(client, staff):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": staff.codice_fiscale, "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": staff.codice_fiscale, "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert response.status_code != 302
