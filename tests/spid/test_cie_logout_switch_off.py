"""CIE as a second identity provider, single logout both ways, an imported family linked by the identity, and the
Comune's switch-off of passwords (PORTAL_PASSWORD_SIGNUP, PORTAL_PASSWORD_LOGIN, PORTAL_STAFF_SPID_REQUIRED)."""

import base64
import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Child, FamilyEvent, Guardianship, User
from spid.models import LoginRecord, SpidRequest
from spididp import idp as test_idp
from tests.accounts.activation.conftest import import_family
from tests.conftest import PASSWORD, make_user
from tests.spid.conftest import acs_post, idp_answer, saml_value

pytestmark = pytest.mark.django_db


def _enter(client, idp, *, citizen=0):
    response = acs_post(client, idp_answer(client, idp, citizen=citizen))
    assert response.status_code == 302, response.content.decode()[:500]
    return response


SIGNATURE = re.compile(r"<(?P<p>[A-Za-z0-9_]+:)?Signature[ >].*?</(?P=p)Signature>", re.DOTALL)


def _unsigned(saml_message: str) -> str:
    """The message with its XML signature removed (base64 in, base64 out)."""
    document = base64.b64decode(saml_message).decode()
    stripped, count = SIGNATURE.subn("", document)
    assert count == 1
    return base64.b64encode(stripped.encode()).decode()


def _password_login(client, user) -> object:
    return client.post(reverse("account_login"), {"login": user.codice_fiscale, "password": PASSWORD})


# --- CIE ---------------------------------------------------------------------------------------------------------


def test_an_existing_password_parent_enters_with_cie_and_keeps_their_data(client, cie_idp, legal_documents):
    parent = make_user(codice_fiscale="BNCLCU82L04F205H", email="luca@example.it", documents=legal_documents)
    child = Child.objects.create(
        codice_fiscale="BNCGLI18C52H501S", first_name="Giulia", last_name="Bianchi", birth_date="2018-03-12", sex="F"
    )
    Guardianship.objects.create(adult=parent, child=child, role=Guardianship.Role.REFERENCE, granted_by=parent)
    page = client.get(reverse("spid:login"), {"idp": cie_idp.pk})
    assert "Accesso con CIE" in page.content.decode()
    _enter(client, cie_idp, citizen=1)
    family = client.get(reverse("accounts:family"))
    assert family.status_code == 200
    assert "Giulia" in family.content.decode()
    record = LoginRecord.objects.get(user=parent)
    assert (record.method, record.level, record.idp) == ("cie", 2, "CIE ID di prova")
    assert parent.__class__.objects.get(pk=parent.pk).has_usable_password()  # passwords still open: kept
    assert "CIE" in client.get(reverse("accounts:profile_edit")).content.decode()


def test_the_login_page_offers_spid_and_cie_apart(client, cie_idp):
    body = client.get(reverse("account_login")).content.decode()
    assert "Entra con SPID" in body
    assert "Entra con CIE" in body
    spid_part, cie_part = body.split("Entra con CIE", 1)
    assert f"idp={cie_idp.pk}" in cie_part
    assert f"idp={cie_idp.pk}&" not in spid_part
    assert f'idp={cie_idp.pk}"' not in spid_part


# --- single logout ---------------------------------------------------------------------------------------------------


def test_leaving_after_spid_tells_the_idp_and_its_signed_answer_is_checked_once(client, idp, legal_documents):
    _enter(client, idp)
    record = LoginRecord.objects.get()
    assert record.name_id
    assert record.session_index
    assert record.session_key
    leave = client.post(reverse("account_logout"))
    assert leave["Location"] == reverse("spid:logout")
    assert "_auth_user_id" not in client.session  # the portal's session is closed first
    page = client.get(reverse("spid:logout"))
    assert page.status_code == 200
    assert reverse("spididp:slo") in page.content.decode()
    logout_request = saml_value(page)
    assert SpidRequest.objects.filter(kind="logout").count() == 1
    answer = client.post(reverse("spididp:slo"), {"SAMLRequest": logout_request})
    assert answer.status_code == 200
    logout_response = saml_value(answer)
    done = client.post(reverse("spid:slo"), {"SAMLResponse": logout_response})
    assert done.status_code == 200
    assert "Sei uscito dal portale e dalla tua identità digitale" in done.content.decode()
    again = client.post(reverse("spid:slo"), {"SAMLResponse": logout_response})
    assert again.status_code == 400
    assert "non ha confermato l'uscita" in again.content.decode()
    assert LoginRecord.objects.get().logged_out_at is not None


def test_the_test_idp_refuses_an_unsigned_logout_request(client, idp, legal_documents):
    _enter(client, idp)
    client.post(reverse("account_logout"))
    unsigned = _unsigned(saml_value(client.get(reverse("spid:logout"))))
    answer = client.post(reverse("spididp:slo"), {"SAMLRequest": unsigned})
    assert answer.status_code == 400


def test_an_unsigned_logout_response_is_refused(client, idp, legal_documents):
    _enter(client, idp)
    client.post(reverse("account_logout"))
    answer = client.post(reverse("spididp:slo"), {"SAMLRequest": saml_value(client.get(reverse("spid:logout")))})
    refused = client.post(reverse("spid:slo"), {"SAMLResponse": _unsigned(saml_value(answer))})
    assert refused.status_code == 400
    assert "non è firmata" in refused.content.decode()


def test_the_idp_ends_the_session_at_the_portal(client, idp, legal_documents):
    _enter(client, idp)
    assert "_auth_user_id" in client.session
    record = LoginRecord.objects.get()
    _url, logout_request = test_idp.logout_request_to_sp(name_id=record.name_id, session_index=record.session_index)
    browser_without_cookies = Client()  # a cross-site POST: the portal's (SameSite) cookie does not come along
    answer = browser_without_cookies.post(reverse("spid:slo"), {"SAMLRequest": logout_request})
    assert answer.status_code == 200
    assert reverse("spididp:slo") in answer.content.decode()  # the signed LogoutResponse goes back to the IdP
    document = base64.b64decode(saml_value(answer)).decode()
    assert "urn:oasis:names:tc:SAML:2.0:status:Success" in document
    assert "Signature" in document
    assert "_auth_user_id" not in client.session  # signed out
    assert LoginRecord.objects.get().logged_out_at is not None


def test_an_unsigned_logout_request_from_an_idp_closes_nothing(client, idp, legal_documents):
    _enter(client, idp)
    record = LoginRecord.objects.get()
    _url, logout_request = test_idp.logout_request_to_sp(
        name_id=record.name_id, session_index=record.session_index, sign=False
    )
    refused = Client().post(reverse("spid:slo"), {"SAMLRequest": logout_request})
    assert refused.status_code == 400
    assert "non è firmata" in refused.content.decode()
    assert "_auth_user_id" in client.session


def test_leaving_after_a_password_entry_goes_home_as_before(client, legal_documents):
    parent = make_user(codice_fiscale="RSSMRA85C52H501N", email="maria@example.it", documents=legal_documents)
    client.force_login(parent)
    leave = client.post(reverse("account_logout"))
    assert leave["Location"] != reverse("spid:logout")


# --- an imported family ------------------------------------------------------------------------------------------


def test_an_imported_parent_entering_with_spid_finds_the_children_without_the_code(client, idp, legal_documents):
    imported = import_family(
        codice_fiscale="VRDNNA90A41F205M",
        first_name="Anna",
        last_name="Verdi",
        email="anna.vecchia@example.it",
        children=[("VRDLCU16A01H501D", "Luca", datetime.date(2016, 1, 1), "M")],
    )
    response = _enter(client, idp, citizen=2)
    user = User.objects.get(codice_fiscale="VRDNNA90A41F205M")
    guardianship = Guardianship.objects.get(adult=user)
    assert guardianship.role == Guardianship.Role.REFERENCE
    imported.refresh_from_db()
    assert imported.claimed_by == user
    event = FamilyEvent.objects.get(action=FamilyEvent.Action.CHILD_CLAIMED)
    assert "SPID" in event.reason
    follow = client.get(response["Location"], follow=True)
    assert "Luca ora fa parte della tua famiglia" in follow.content.decode()


# --- the switch-off ----------------------------------------------------------------------------------------------


def test_with_password_login_off_a_parent_is_sent_to_spid_and_nobody_enters(client, settings, legal_documents):
    settings.PORTAL_PASSWORD_LOGIN = "off"
    parent = make_user(codice_fiscale="RSSMRA85C52H501N", email="maria@example.it", documents=legal_documents)
    response = _password_login(client, parent)
    assert response.status_code == 200
    body = response.content.decode()
    assert "non accetta più l'accesso con la password" in body
    assert "_auth_user_id" not in client.session
    assert not LoginRecord.objects.exists()


def test_a_closing_date_is_announced_then_applied(client, settings, legal_documents):
    parent = make_user(codice_fiscale="RSSMRA85C52H501N", email="maria@example.it", documents=legal_documents)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    settings.PORTAL_PASSWORD_LOGIN = tomorrow.isoformat()
    page = client.get(reverse("account_login")).content.decode()
    assert "si entra solo con SPID o CIE" in page
    assert _password_login(client, parent).status_code == 302  # still open until the last day
    client.logout()
    settings.PORTAL_PASSWORD_LOGIN = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    assert _password_login(client, parent).status_code == 200
    assert "_auth_user_id" not in client.session


def test_entering_with_spid_after_the_switch_off_retires_the_password(client, idp, settings, legal_documents):
    settings.PORTAL_PASSWORD_LOGIN = "off"
    parent = make_user(codice_fiscale="RSSMRA85C52H501N", email="maria@example.it", documents=legal_documents)
    response = _enter(client, idp, citizen=0)
    parent.refresh_from_db()
    assert not parent.has_usable_password()
    follow = client.get(response["Location"], follow=True).content.decode()
    assert "la password del portale non vale più" in follow


def test_staff_keep_their_password_unless_the_office_requires_spid(client, settings, legal_documents):
    settings.PORTAL_PASSWORD_LOGIN = "off"
    clerk = make_user(
        codice_fiscale="VRDGLI79P61A944R", email="ufficio@example.it", documents=legal_documents, is_staff=True
    )
    assert _password_login(client, clerk).status_code == 302
    client.logout()
    settings.PORTAL_STAFF_SPID_REQUIRED = True
    refused = _password_login(client, clerk)
    assert refused.status_code == 200
    assert "anche il personale entri solo con SPID" in refused.content.decode()


def test_with_signup_off_the_signup_page_says_why_and_the_login_page_does_not_offer_it(client, settings, idp):
    settings.PORTAL_PASSWORD_SIGNUP = False
    signup = client.get(reverse("account_signup"))
    assert "Registrazione con password non più disponibile" in signup.content.decode()
    login_page = client.get(reverse("account_login")).content.decode()
    assert reverse("account_signup") not in login_page


# --- a new account whose identity brings no usable e-mail ------------------------------------------------------------


def test_a_new_parent_entering_with_cie_gives_an_email_once(client, cie_idp, legal_documents):
    response = acs_post(client, idp_answer(client, cie_idp, citizen=2))
    assert response["Location"] == reverse("spid:complete")
    assert "_auth_user_id" not in client.session  # nobody is signed in until the account exists
    page = client.get(reverse("spid:complete"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Completa il tuo account" in body
    assert "VRDNNA90A41F205M" in body
    assert "già usato" not in body
    bad = client.post(reverse("spid:complete"), {"email": "anna-at-example"})
    assert bad.status_code == 400
    assert 'value="anna-at-example"' in bad.content.decode()
    assert not User.objects.filter(codice_fiscale="VRDNNA90A41F205M").exists()
    make_user(codice_fiscale="RSSMRA85C52H501N", email="presa@example.it")
    taken = client.post(reverse("spid:complete"), {"email": "PRESA@example.it"})
    assert taken.status_code == 400
    assert "già usato da un altro account" in taken.content.decode()
    done = client.post(reverse("spid:complete"), {"email": "anna@example.it"})
    assert done.status_code == 302
    user = User.objects.get(codice_fiscale="VRDNNA90A41F205M")
    assert (user.first_name, user.email, user.emailaddress_set.get().verified) == ("Anna", "anna@example.it", False)
    record = LoginRecord.objects.get(user=user)
    assert (record.method, record.idp) == ("cie", "CIE ID di prova")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert "spid_pending_identity" not in client.session  # used: nothing is waiting any more


def test_a_spid_address_already_used_by_another_account_is_asked_again(client, idp, legal_documents):
    make_user(codice_fiscale="RSSMRA85C52H501N", email="anna.verdi@demo.example.it")  # Anna's SPID address
    response = acs_post(client, idp_answer(client, idp, citizen=2))
    assert response["Location"] == reverse("spid:complete")
    page = client.get(reverse("spid:complete")).content.decode()
    assert "anna.verdi@demo.example.it) è già usato da un altro account" in page
    assert not User.objects.filter(codice_fiscale="VRDNNA90A41F205M").exists()


def test_a_waiting_identity_expires(client, cie_idp, legal_documents):
    acs_post(client, idp_answer(client, cie_idp, citizen=2))
    session = client.session
    session["spid_pending_identity"]["until"] = 0
    session.save()
    page = client.post(reverse("spid:complete"), {"email": "anna@example.it"})
    assert page.status_code == 400
    assert "la richiesta di accesso è scaduta" in page.content.decode()
    assert not User.objects.filter(codice_fiscale="VRDNNA90A41F205M").exists()


def test_the_data_export_lists_how_the_parent_entered(client, cie_idp, legal_documents):
    from portal.privacy import personal_data_collect

    parent = make_user(codice_fiscale="BNCLCU82L04F205H", email="luca@example.it", documents=legal_documents)
    _enter(client, cie_idp, citizen=1)
    rows = personal_data_collect(user=parent)["accessi"]
    assert [(row["modo"], row["livello"], row["identity_provider"]) for row in rows] == [("CIE", 2, "CIE ID di prova")]
    assert "name_id" not in rows[0]
