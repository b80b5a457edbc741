"""Password reset and change, e-mail change with re-verification, profile, consent re-acceptance (HTTP)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Consent, LegalDocument
from tests.conftest import PASSWORD

NEW_PASSWORD = "Another-Strong-Pass-77"


def first_path(message, prefix: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(prefix)}[^\s]+)", message.body)
    assert match, message.body
    return match.group(1)


def test_password_reset_by_email_link(client, parent, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": parent.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    link = first_path(mailoutbox[0], "/account/password/reset/key/")

    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302

    client.logout()
    assert client.login(username=parent.codice_fiscale, password=NEW_PASSWORD)


def test_password_reset_for_unknown_email_looks_the_same(client, legal_documents, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.it"})
    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_done")


def test_password_change(parent_client, parent):
    response = parent_client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    parent.refresh_from_db()
    assert parent.check_password(NEW_PASSWORD)


CF_PASSWORD_REFUSED = "La password contiene il tuo codice fiscale o una sua parte"


def test_password_change_refuses_the_codice_fiscale(parent_client, parent):
    bad = "Nuova-rssmra85c52h501n"
    response = parent_client.post(
        reverse("account_change_password"), {"oldpassword": PASSWORD, "password1": bad, "password2": bad}
    )
    assert response.status_code == 200
    assert CF_PASSWORD_REFUSED in response.content.decode()
    parent.refresh_from_db()
    assert parent.check_password(PASSWORD)


def test_password_reset_refuses_the_codice_fiscale(client, parent, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": parent.email})
    link = first_path(mailoutbox[0], "/account/password/reset/key/")
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    bad = "Estate!RSSMRA85-mare"
    response = client.post(form_url, {"password1": bad, "password2": bad})
    assert response.status_code == 200
    assert CF_PASSWORD_REFUSED in response.content.decode()
    parent.refresh_from_db()
    assert parent.check_password(PASSWORD)


def test_email_change_needs_verification_of_the_new_address(
    parent_client, parent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = parent_client.post(reverse("account_email"), {"action_add": "", "email": "maria.new@example.it"})
    assert response.status_code == 302
    assert mailoutbox[-1].to == ["maria.new@example.it"]
    parent.refresh_from_db()
    assert parent.email == "maria.rossi@example.it"  # not yet: the new address is unverified

    link = first_path(mailoutbox[-1], "/account/confirm-email/")
    with django_capture_on_commit_callbacks(execute=True):
        parent_client.post(link)
    parent.refresh_from_db()
    assert parent.email == "maria.new@example.it"
    assert EmailAddress.objects.get(user=parent, primary=True).email == "maria.new@example.it"


def test_adding_an_email_longer_than_254_characters_is_refused_never_cut(parent_client, parent, mailoutbox):
    long_email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".it"
    response = parent_client.post(reverse("account_email"), {"action_add": "", "email": long_email})
    body = response.content.decode()
    assert response.status_code == 200
    assert "può avere al massimo 254 caratteri (ne hai inseriti 311)" in body
    assert f'value="{long_email}"' in body
    assert list(EmailAddress.objects.filter(user=parent).values_list("email", flat=True)) == [parent.email]
    assert not mailoutbox


def test_profile_edit_keeps_input_on_error_and_saves_when_valid(parent_client, parent):
    response = parent_client.post(
        reverse("accounts:profile_edit"), {"first_name": "Maria", "last_name": "Rossi", "phone": "abc"}
    )
    assert response.status_code == 200
    assert 'value="abc"' in response.content.decode()
    assert "sole cifre" in response.content.decode()

    response = parent_client.post(
        reverse("accounts:profile_edit"),
        {"first_name": "Maria Grazia", "last_name": "Rossi", "phone": "+39 333 1234567"},
    )
    assert response.status_code == 302
    parent.refresh_from_db()
    assert (parent.first_name, parent.phone) == ("Maria Grazia", "+39 333 1234567")


def test_family_page_shows_details_and_next_steps(parent_client, parent):
    response = parent_client.get(reverse("accounts:family"))
    body = response.content.decode()
    assert response.status_code == 200
    assert parent.codice_fiscale in body
    assert "Aggiungi un numero di telefono" in body
    assert "Condizioni d&#x27;uso" in body
    assert "versione 1 del" in body


@pytest.fixture
def new_terms(legal_documents):
    document = LegalDocument.objects.create(
        kind="terms", version="2", title="Condizioni d'uso v2", body="Nuovo testo."
    )
    return services.legal_document_publish(document=document, when=timezone.now())


def test_new_terms_version_must_be_accepted_before_anything_else(parent_client, parent, new_terms, settings):
    services.legal_documents_cache_clear()
    response = parent_client.get(reverse("accounts:profile_edit"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:consent"))

    response = parent_client.get(response.url)
    assert "Condizioni d&#x27;uso v2" in response.content.decode()

    response = parent_client.post(reverse("accounts:consent"), {"next": reverse("accounts:profile_edit")})
    assert response.status_code == 200  # the box was not ticked
    assert not Consent.objects.filter(user=parent, document=new_terms).exists()

    response = parent_client.post(
        reverse("accounts:consent"), {f"accept_{new_terms.pk}": "on", "next": reverse("accounts:profile_edit")}
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:profile_edit")
    consent = Consent.objects.get(user=parent, document=new_terms)
    assert consent.accepted_at is not None
    assert parent_client.get(reverse("accounts:profile_edit")).status_code == 200


def test_consent_page_ignores_external_next(parent_client, parent, new_terms):
    services.legal_documents_cache_clear()
    response = parent_client.post(
        reverse("accounts:consent"), {f"accept_{new_terms.pk}": "on", "next": "https://evil.example.com/"}
    )
    assert response.url == reverse("accounts:family")


def test_logout_is_possible_while_consent_is_pending(parent_client, new_terms):
    services.legal_documents_cache_clear()
    response = parent_client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in parent_client.session


@pytest.mark.parametrize("login", ["x" * 10_000, "RSSMRA85C52H501N\x00", "\u202e\u202e"])
def test_login_with_hostile_input_is_a_form_error(client, parent, login):
    response = client.post(reverse("account_login"), {"login": login, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_cached_menu_follows_role_language_and_page(client, parent, legal_documents):
    from tests.conftest import make_user

    staff = make_user(
        codice_fiscale="VRDGLI79P61A944R", email="office@example.it", documents=legal_documents, is_staff=True
    )
    client.force_login(staff)
    assert "Ufficio scuola" in client.get(reverse("accounts:profile_edit")).content.decode()
    client.force_login(parent)
    body = client.get(reverse("accounts:profile_edit")).content.decode()
    assert "Ufficio scuola" not in body
    assert 'href="/famiglia/profilo/" aria-current="page"' in body
    body = client.get(reverse("accounts:family")).content.decode()
    assert 'href="/famiglia/" aria-current="page"' in body
    client.logout()
    assert "Registrati" in client.get(reverse("accessibility")).content.decode()


def test_family_page_shows_two_step_verification_once_activated(parent_client, parent):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    assert "Proteggi l'accesso" in parent_client.get(reverse("accounts:family")).content.decode()
    TOTP.activate(parent, generate_totp_secret())
    body = parent_client.get(reverse("accounts:family")).content.decode()
    assert "Verifica in due passaggi attiva" in body
    assert "Proteggi l'accesso" not in body
