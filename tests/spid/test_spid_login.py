"""Entering with SPID through the test IdP: the happy paths (a new parent, an existing account) and every refusal
a SAML service provider owes (each answer built by the test IdP, or tampered with here): "Accesso non riuscito",
a log line, nobody signed in, never a 500."""

import base64
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import LegalDocument, User
from spid.models import LoginRecord, SpidRequest
from tests.conftest import make_user
from tests.spid.conftest import acs_post, idp_answer, saml_value

pytestmark = pytest.mark.django_db


def _refused(response, reason: str) -> None:
    assert response.status_code == 400
    body = response.content.decode()
    assert "Accesso non riuscito:" in body
    assert reason in body


def test_a_new_parent_enters_and_gets_an_account_from_the_attributes(client, idp, legal_documents):
    response = acs_post(client, idp_answer(client, idp, citizen=2))
    assert response.status_code == 302
    user = User.objects.get(codice_fiscale="VRDNNA90A41F205M")
    assert (user.first_name, user.last_name, user.email) == ("Anna", "Verdi", "anna.verdi@demo.example.it")
    assert not user.has_usable_password()
    assert not user.emailaddress_set.get().verified  # to be confirmed
    record = LoginRecord.objects.get(user=user)
    assert (record.method, record.level) == ("spid", 2)
    # the first page asks the consent to the terms, as for every new account
    assert "consenso" in client.get(reverse("accounts:family")).url
    # then the family page asks to confirm the address that came from SPID (never shown as verified)
    account_services.consent_accept(user=user, documents=list(LegalDocument.objects.all()), ip_address=None)
    family = client.get(reverse("accounts:family")).content.decode()
    assert "Conferma il tuo indirizzo e-mail" in family
    assert "da confermare" in family
    assert "e-mail verificata" not in family


def test_an_existing_parent_enters_with_spid_and_keeps_the_account(client, idp, legal_documents):
    parent = make_user(codice_fiscale="RSSMRA85C52H501N", email="maria@example.it", documents=legal_documents)
    response = acs_post(client, idp_answer(client, idp, citizen=0, next_url="/pagamenti/avvisi/"))
    assert response.status_code == 302
    assert response["Location"] == "/pagamenti/avvisi/"
    assert client.get(reverse("accounts:family")).status_code == 200
    assert User.objects.filter(codice_fiscale="RSSMRA85C52H501N").count() == 1
    assert LoginRecord.objects.get().user == parent


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("unsigned", "non è valida"),
        ("audience", "non è valida"),
        ("level1", "inferiore a quello richiesto"),
        ("no_fiscal", "codice fiscale valido"),
        ("bad_fiscal", "codice fiscale valido"),
        ("error", "non è valida"),
        ("unknown_request", "richiesta sconosciuta"),
        ("sha1", "algoritmo non ammesso"),
        ("persistent", "non rispetta le regole SPID: identificativo (NameID) non conforme"),
    ],
)
def test_every_wrong_answer_is_refused_and_nobody_enters(client, idp, legal_documents, mode, reason):
    _refused(acs_post(client, idp_answer(client, idp, mode=mode)), reason)
    assert "_auth_user_id" not in client.session
    assert not LoginRecord.objects.exists()


def test_a_replayed_response_is_refused(client, idp, legal_documents):
    saml_response = idp_answer(client, idp)
    assert acs_post(client, saml_response).status_code == 302
    client.logout()
    _refused(acs_post(client, saml_response), "non è valida")
    assert LoginRecord.objects.count() == 1


def test_an_expired_response_is_refused(client, idp, legal_documents):
    saml_response = idp_answer(client, idp)
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=30)):
        _refused(acs_post(client, saml_response), "non è valida")


def test_a_request_answered_after_its_lifetime_is_refused(client, idp, legal_documents):
    saml_response = idp_answer(client, idp)
    SpidRequest.objects.update(created_at=timezone.now() - timezone.timedelta(hours=1))
    _refused(acs_post(client, saml_response), "richiesta sconosciuta")


def test_an_extra_unsigned_assertion_is_refused(client, idp, legal_documents):
    document = base64.b64decode(idp_answer(client, idp)).decode()
    start = document.index("<ns1:Assertion") if "<ns1:Assertion" in document else document.index("Assertion") - 5
    end = document.index("Assertion>", start) + len("Assertion>")
    forged = document[:start] + document[start:end].replace("Maria", "Mallory") + document[start:]
    _refused(acs_post(client, base64.b64encode(forged.encode()).decode()), "una sola asserzione")


def test_xml_with_a_doctype_is_refused_before_parsing(client, idp, legal_documents):
    document = base64.b64decode(idp_answer(client, idp)).decode()
    evil = document.replace('<?xml version="1.0"?>', '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]>', 1)
    _refused(acs_post(client, base64.b64encode(evil.encode()).decode()), "costrutti XML non ammessi")


def test_garbage_is_refused_without_a_500(client, idp):
    _refused(acs_post(client, "non-base64!!"), "")
    _refused(acs_post(client, ""), "")


def test_the_sp_metadata_asks_for_the_four_attributes(client, idp):
    metadata = client.get(reverse("spid:metadata")).content.decode()
    for name in ("fiscalNumber", "name", "familyName", "email"):
        assert f'Name="{name}"' in metadata
    assert 'AuthnRequestsSigned="true"' in metadata
    assert 'WantAssertionsSigned="true"' in metadata


def test_the_login_page_offers_spid_and_the_post_page_may_post_to_the_idp(client, idp):
    page = client.get(reverse("account_login")).content.decode()
    assert "Entra con SPID" in page
    assert f"?idp={idp.pk}" in page
    post = client.get(reverse("spid:login"), {"idp": idp.pk})
    assert re.search(r"form-action 'self' https?://[^;]+", post["Content-Security-Policy"])


def test_an_unknown_idp_is_said_on_the_page(client, idp):
    _refused(client.get(reverse("spid:login"), {"idp": 999}), "scegli il tuo identity provider")


def test_the_account_page_says_how_it_last_entered(client, idp, legal_documents):
    make_user(codice_fiscale="RSSMRA85C52H501N", email="maria@example.it", documents=legal_documents)
    acs_post(client, idp_answer(client, idp, citizen=0))
    page = client.get(reverse("accounts:profile_edit")).content.decode()
    assert "con SPID di livello 2 (IdP di prova)" in page
    assert LoginRecord.objects.filter(method="password").count() == 0


def test_with_password_signup_off_the_signup_page_says_why_and_spid_still_creates_accounts(
    client, idp, legal_documents, settings
):
    settings.PORTAL_PASSWORD_SIGNUP = False
    page = client.get(reverse("account_signup"))
    body = page.content.decode()
    assert "Registrazione con password non più disponibile" in body
    assert "SPID" in body
    assert 'name="password1"' not in body
    assert acs_post(client, idp_answer(client, idp, citizen=2)).status_code == 302
    assert User.objects.filter(codice_fiscale="VRDNNA90A41F205M").exists()


def test_the_sp_metadata_is_signed_with_rsa_sha256(client, idp):
    metadata = client.get(reverse("spid:metadata")).content.decode()
    assert "<ds:Signature" in metadata or ":Signature" in metadata
    assert "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" in metadata
    assert "http://www.w3.org/2001/04/xmlenc#sha256" in metadata


def test_the_authn_request_is_as_spid_asks(client, idp):
    page = client.get(reverse("spid:login"), {"idp": idp.pk})
    request = base64.b64decode(saml_value(page)).decode()
    assert 'ForceAuthn="true"' in request
    assert 'AttributeConsumingServiceIndex="0"' in request
    assert re.search(r'<[^>]*Issuer[^>]*NameQualifier="[^"]+/spid/metadata/"', request)
    assert re.search(r'<[^>]*Issuer[^>]*Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity"', request)
    assert re.search(r'NameIDPolicy[^>]*Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient"', request)
    assert re.search(r'RequestedAuthnContext[^>]*Comparison="minimum"', request)
    assert "https://www.spid.gov.it/SpidL2" in request
    assert "Signature" in request  # signed
    assert SpidRequest.objects.filter(answered_at__isnull=True).count() == 1
