"""Registration, e-mail verification, login by CF or e-mail, and no account enumeration (HTTP)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.models import Consent, User
from portal.models import OutboxEmail
from tests.conftest import PASSWORD, make_user

NEW_CF = "SPSNNA90B42F839U"


def signup_data(**overrides) -> dict:
    data = {
        "username": NEW_CF.lower(),
        "first_name": "Anna",
        "last_name": "Esposito",
        "email": "anna.esposito@example.it",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "accept_terms": "on",
        "accept_privacy": "on",
    }
    data.update(overrides)
    return data


def confirmation_url(message) -> str:
    match = re.search(r"https?://[^/\s]+(/account/confirm-email/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def signup(client, django_capture_on_commit_callbacks, legal_documents):
    def _signup(**overrides):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("account_signup"), signup_data(**overrides))

    return _signup


def test_signup_creates_user_with_upper_case_cf_consents_and_verification_mail(signup, mailoutbox, legal_documents):
    response = signup()

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert user.codice_fiscale == NEW_CF
    assert (user.first_name, user.last_name, user.email) == ("Anna", "Esposito", "anna.esposito@example.it")
    assert set(Consent.objects.filter(user=user).values_list("document_id", flat=True)) == {
        d.pk for d in legal_documents
    }
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["anna.esposito@example.it"]
    assert "/account/confirm-email/" in mailoutbox[0].body
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.SENT


def test_unverified_user_cannot_log_in_and_verification_then_login_lands_on_family_page(
    client, signup, mailoutbox, django_capture_on_commit_callbacks
):
    signup()
    url = confirmation_url(mailoutbox[0])
    client.logout()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_login"), {"login": NEW_CF, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session

    response = client.get(url)
    assert response.status_code == 200
    response = client.post(url)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="anna.esposito@example.it").verified

    response = client.post(reverse("account_login"), {"login": NEW_CF.lower(), "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:family")
    assert NEW_CF in response.content.decode()


@pytest.mark.parametrize(
    "login", ["RSSMRA85C52H501N", "rssmra85c52h501n", " RSSMRA85 C52H501N ", "maria.rossi@example.it"]
)
def test_login_by_codice_fiscale_or_email(client, parent, login):
    response = client.post(reverse("account_login"), {"login": login, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("accounts:family")
    assert int(client.session["_auth_user_id"]) == parent.pk


def test_wrong_password_is_refused_in_italian(client, parent):
    response = client.post(reverse("account_login"), {"login": parent.codice_fiscale, "password": "wrong-password"})
    assert response.status_code == 200
    assert "non sono corretti" in response.content.decode()


def test_bad_codice_fiscale_says_what_is_wrong_and_keeps_input(signup):
    response = signup(username="RSSMRA85T10A562X")
    body = response.content.decode()
    assert response.status_code == 200
    assert "carattere di controllo non corrisponde" in body
    assert 'value="Anna"' in body
    assert 'value="anna.esposito@example.it"' in body
    assert not User.objects.exists()


CF_PASSWORD_REFUSED = "La password contiene il tuo codice fiscale o una sua parte"


@pytest.mark.parametrize(
    "password", ["Rssmra85c52h501n!", "Casa-rssmra85-2026", "Rss.Mra.85!Estate", "Zz-C52H501N-2026"]
)
def test_a_password_with_the_codice_fiscale_typed_in_the_same_form_is_refused(signup, password):
    response = signup(username="RSSMRA85C52H501N", password1=password, password2=password)
    body = response.content.decode()
    assert response.status_code == 200
    assert CF_PASSWORD_REFUSED in body
    assert 'value="RSSMRA85C52H501N"' in body  # the typed CF is kept
    assert 'value="Anna"' in body
    assert not User.objects.exists()


def test_a_good_password_with_that_codice_fiscale_is_accepted(signup):
    response = signup(username="RSSMRA85C52H501N", password1="Gatto-Rosso-2026!", password2="Gatto-Rosso-2026!")
    assert response.status_code == 302
    assert User.objects.get().codice_fiscale == "RSSMRA85C52H501N"


LONG_EMAIL = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".it"  # 311 characters, well formed
EMAIL_TOO_LONG = "può avere al massimo 254 caratteri (ne hai inseriti 311)"


def test_an_email_longer_than_254_characters_is_refused_never_cut(signup):
    response = signup(email=LONG_EMAIL)
    body = response.content.decode()
    assert response.status_code == 200
    assert EMAIL_TOO_LONG in body
    assert f'value="{LONG_EMAIL}"' in body  # kept as typed
    assert not User.objects.exists()
    assert not EmailAddress.objects.exists()


def test_consents_are_required(signup):
    response = signup(accept_terms="", accept_privacy="")
    assert response.status_code == 200
    assert response.content.decode().count("Questo campo è obbligatorio") >= 2
    assert not User.objects.exists()


def test_existing_cf_gets_the_same_answer_and_the_owner_is_emailed(signup, parent, mailoutbox):
    response = signup(email="someone.else@example.it", username=parent.codice_fiscale)

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert User.objects.count() == 1
    assert [m.to for m in mailoutbox] == [[parent.email]]
    assert "someone.else@example.it" not in str([m.to for m in mailoutbox])


def test_existing_email_gets_the_same_answer_and_the_owner_is_emailed(signup, parent, mailoutbox):
    response = signup(email=parent.email)

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert User.objects.count() == 1
    assert [m.to for m in mailoutbox] == [[parent.email]]


def test_signup_answer_is_identical_for_new_and_existing_accounts(client, signup, parent):
    new = signup(username=NEW_CF, email="new.person@example.it")
    client.logout()
    existing = signup(username=parent.codice_fiscale, email="another@example.it")
    assert (new.status_code, new.url) == (existing.status_code, existing.url)


@pytest.mark.parametrize(
    "overrides",
    [
        {"first_name": "x" * 10_000},
        {"last_name": "Rossi\x00"},
        {"username": "\x00" * 16},
        {"email": "a" * 10_000 + "@example.it"},
        {"username": "\uff32\uff33\uff33MRA85T10A562S"},  # full-width letters
        {"first_name": "\u202eAnna"},
        {"password1": "p" * 10_000, "password2": "p" * 10_000},
    ],
)
def test_hostile_input_gives_form_errors_never_500(signup, overrides):
    response = signup(**overrides)
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode() or "alert-danger" in response.content.decode()
    assert not User.objects.exists()


def test_login_is_rate_limited(client, parent):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": parent.codice_fiscale, "password": "bad-password"})
    response = client.post(reverse("account_login"), {"login": parent.codice_fiscale, "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session


def test_expired_or_unknown_verification_link_explains_and_offers_a_new_one(client, legal_documents):
    make_user(codice_fiscale=NEW_CF, email="anna.esposito@example.it", verified=False)
    response = client.get(reverse("account_confirm_email", kwargs={"key": "not-a-real-key"}))
    body = response.content.decode()
    assert response.status_code == 200
    assert "scaduto o non è valido" in body
    assert reverse("account_email") in body
