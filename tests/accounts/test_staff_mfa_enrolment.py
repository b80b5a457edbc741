"""Issue 11, finding 5: a staff user with only a password cannot enrol their own TOTP and enter the admin.

The first activation needs a code e-mailed to the account's verified address (short validity, few attempts);
every authenticator added or removed is notified by e-mail, to staff and parents alike.
"""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.urls import reverse

from tests.conftest import PASSWORD, make_user

# The e-mail step (accounts:staff_mfa_email_code), spelled out so that each test fails on its own without it.
STEP_URL = "/sicurezza/conferma-email/"
ACTIVATE_URL = reverse("mfa_activate_totp")


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


def sign_in(client, user) -> None:
    """Log in with the password, and give it again as allauth asks before any change of authenticators."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def put_totp_secret_in_session(client) -> str:
    """The secret the activation page would show (the attacker has the page open: they know it)."""
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    session = client.session
    session[SECRET_SESSION_KEY] = secret
    session.save()
    return secret


def emailed_code(mailoutbox) -> str:
    mails = [mail for mail in mailoutbox if "verifica in due passaggi" in mail.subject.lower()]
    assert mails, [mail.subject for mail in mailoutbox]
    match = re.search(r"^(\d{6})$", mails[-1].body, re.MULTILINE)
    assert match, mails[-1].body
    return match[1]


def test_staff_with_only_the_password_cannot_activate_totp_nor_enter_the_admin(client, staff):
    sign_in(client, staff)
    # The admin sends staff to set up TOTP, and the activation page to the e-mail step first.
    assert client.get(reverse("admin:index")).url == ACTIVATE_URL
    response = client.get(ACTIVATE_URL)
    assert response.status_code == 302
    assert response.url == STEP_URL

    # Posting a right authenticator code straight to the activation page does not enrol it.
    secret = put_totp_secret_in_session(client)
    response = client.post(ACTIVATE_URL, {"code": current_code(secret)})
    assert not Authenticator.objects.filter(user=staff).exists()
    assert client.get(reverse("admin:index")).status_code == 302


def test_the_activation_form_itself_refuses_staff_without_the_emailed_code(rf, staff):
    """Second line: the form checks the confirmation even if a page reached it without the middleware."""
    from allauth.core import context
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.forms import ActivateTOTPForm

    request = rf.post(ACTIVATE_URL)
    request.user = staff
    request.session = SessionStore()
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    request.session[SECRET_SESSION_KEY] = secret
    with context.request_context(request):
        form = ActivateTOTPForm({"code": current_code(secret)}, user=staff)
        assert not form.is_valid()
        assert "codice che ti inviamo per e-mail" in str(form.errors["code"])


def test_staff_with_the_emailed_code_activates_totp_and_enters_the_admin(
    client, staff, mailoutbox, django_capture_on_commit_callbacks
):
    sign_in(client, staff)
    page = client.get(STEP_URL)
    assert page.status_code == 200
    assert "ufficio@example.it" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(STEP_URL, {"action": "send"})
    assert response.status_code == 302
    assert [mail.to for mail in mailoutbox] == [["ufficio@example.it"]]
    code = emailed_code(mailoutbox)

    # A wrong code: an Italian message on the same page, the input kept.
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(STEP_URL, {"action": "verify", "code": wrong})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Il codice non è corretto. Ti restano 4 tentativi." in body
    assert f'value="{wrong}"' in body

    response = client.post(STEP_URL, {"action": "verify", "code": code})
    assert response.status_code == 302
    assert response.url == ACTIVATE_URL
    assert client.get(ACTIVATE_URL).status_code == 200

    secret = client.session[SECRET_SESSION_KEY]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ACTIVATE_URL, {"code": current_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_emailed_code_expires_and_allows_few_attempts(
    client, staff, mailoutbox, django_capture_on_commit_callbacks
):
    from accounts.services import mfa as mfa_services

    assert reverse("accounts:staff_mfa_email_code") == STEP_URL
    sign_in(client, staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(STEP_URL, {"action": "send"})
    code = emailed_code(mailoutbox)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(mfa_services.STAFF_MFA_CODE_MAX_ATTEMPTS):
        response = client.post(STEP_URL, {"action": "verify", "code": wrong})
    assert "Troppi tentativi sbagliati" in response.content.decode()
    # The right code no longer works: a new one must be sent.
    response = client.post(STEP_URL, {"action": "verify", "code": code})
    assert response.status_code == 200
    assert "scaduto o non è più valido" in response.content.decode()

    # A new code, but past its validity.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(STEP_URL, {"action": "send"})
    code = emailed_code(mailoutbox)
    session = client.session
    session["accounts.staff_mfa_code"]["expires"] -= mfa_services.STAFF_MFA_CODE_VALIDITY.total_seconds() + 1
    session.save()
    response = client.post(STEP_URL, {"action": "verify", "code": code})
    assert "scaduto o non è più valido" in response.content.decode()
    assert client.get(ACTIVATE_URL).url == STEP_URL


def test_codes_cannot_be_sent_without_limit(client, staff, mailoutbox, django_capture_on_commit_callbacks):
    sign_in(client, staff)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):
            response = client.post(STEP_URL, {"action": "send"}, follow=True)
    assert len(mailoutbox) == 3
    assert "Hai chiesto troppi codici" in response.content.decode()


def test_staff_without_a_verified_email_gets_no_code(client, legal_documents, mailoutbox):
    staff = make_user(
        codice_fiscale="VRDGLI79P61A944R",
        email="ufficio@example.it",
        verified=False,
        documents=legal_documents,
        is_staff=True,
    )
    client.force_login(staff)  # (the login form itself would stop an unverified address first)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(STEP_URL, {"action": "send"}, follow=True)
    assert "non ha un indirizzo e-mail verificato" in response.content.decode()
    assert mailoutbox == []


@pytest.mark.parametrize("who", ["staff", "parent"])
def test_activation_and_removal_are_notified_by_email(
    request, db, client, who, mailoutbox, django_capture_on_commit_callbacks
):
    user = request.getfixturevalue(who)
    sign_in(client, user)
    if user.is_staff:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(STEP_URL, {"action": "send"})
        client.post(STEP_URL, {"action": "verify", "code": emailed_code(mailoutbox)})
    assert client.get(ACTIVATE_URL).status_code == 200  # parents have no e-mail step
    mailoutbox.clear()
    secret = client.session[SECRET_SESSION_KEY]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ACTIVATE_URL, {"code": current_code(secret)})
    assert response.status_code == 302
    assert [(mail.to, mail.subject) for mail in mailoutbox] == [
        ([user.email], "Applicazione di autenticazione attivata")
    ]

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert [(mail.to, mail.subject) for mail in mailoutbox] == [
        ([user.email], "Applicazione di autenticazione disattivata")
    ]


def test_the_office_removing_an_authenticator_tells_its_owner_and_cannot_create_one(
    client, staff, parent, mailoutbox, django_capture_on_commit_callbacks
):
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(staff, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client.force_login(staff)
    parent_totp = TOTP.activate(parent, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").instance

    # Staff can neither enrol an app for someone (a secret of their choosing) nor see or edit the stored secret.
    assert client.get(reverse("admin:accounts_staffviewauthenticator_add")).status_code == 403
    page = client.get(reverse("admin:accounts_staffviewauthenticator_change", args=[parent_totp.pk]))
    assert page.status_code == 200
    assert parent_totp.data["secret"] not in page.content.decode()
    assert 'name="data"' not in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_staffviewauthenticator_delete", args=[parent_totp.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert not Authenticator.objects.filter(pk=parent_totp.pk).exists()
    assert [(mail.to, mail.subject) for mail in mailoutbox] == [
        ([parent.email], "Applicazione di autenticazione disattivata")
    ]
