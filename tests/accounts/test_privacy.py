"""Privacy (GDPR): the registry, the data export, deletion requests, anonymisation and deletion."""

import datetime
import io
import json
import zipfile

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import is_password_usable
from django.urls import reverse

from accounts import errors, privacy, services
from accounts.models import Child, Consent, DeletionRequest, FamilyEvent, Guardianship, LegalDocument, User
from portal import privacy as registry
from tests.conftest import PASSWORD, make_user

PAOLO_CF = "VRDPLA80D10H501X"


@pytest.fixture
def newcomer(legal_documents):
    """Registered, never added a child: nothing to keep."""
    return make_user(
        codice_fiscale=PAOLO_CF,
        email="paolo.verdi@example.it",
        first_name="Paolo",
        last_name="Verdi",
        phone="+39 333 1234567",
        documents=legal_documents,
    )


@pytest.fixture
def staff(legal_documents):
    return make_user(
        codice_fiscale="VRDGLI79P61A944R",
        email="ufficio@example.it",
        first_name="Giulia",
        last_name="Verdi",
        is_staff=True,
        documents=legal_documents,
    )


def export_data(user) -> dict:
    archive = zipfile.ZipFile(io.BytesIO(privacy.personal_data_export(user=user)))
    assert sorted(archive.namelist()) == ["LEGGIMI.txt", "dati.json"]
    return json.loads(archive.read("dati.json"))


# --- the registry ---------------------------------------------------------------------------------------


def test_registry_collects_every_exporter_and_retention_reason(monkeypatch, newcomer):
    monkeypatch.setattr(registry, "_exporters", dict(registry._exporters))
    monkeypatch.setattr(registry, "_retention_checks", dict(registry._retention_checks))
    registry.register_exporter("pagamenti", lambda user: {"avvisi": [{"importo": "12.50", "cf": user.codice_fiscale}]})
    registry.register_retention_check("pagamenti", lambda user: "Ci sono pagamenti da conservare per 10 anni.")
    registry.register_retention_check("nulla", lambda user: None)
    data = export_data(newcomer)
    assert data["sezioni"]["pagamenti"] == {"avvisi": [{"importo": "12.50", "cf": PAOLO_CF}]}
    assert "famiglie_e_accessi" in data["sezioni"]
    assert registry.retention_reasons(user=newcomer) == ["Ci sono pagamenti da conservare per 10 anni."]


# --- the export -----------------------------------------------------------------------------------------------


def test_export_has_the_users_and_the_childs_data(parent, giulia, legal_documents):
    services.invitation_create(
        inviter=parent,
        children=[giulia],
        email="paolo.verdi@example.it",
        codice_fiscale=PAOLO_CF,
        base_url="https://portale.example.it/",
    )
    data = export_data(parent)
    assert data["codice_fiscale"] == parent.codice_fiscale
    section = data["sezioni"]["famiglie_e_accessi"]
    assert section["profilo"]["codice_fiscale"] == "RSSMRA85C52H501N"
    assert section["profilo"]["email"] == "maria.rossi@example.it"
    assert datetime.datetime.fromisoformat(section["profilo"]["registrato_il"])
    assert section["indirizzi_email"] == [{"email": "maria.rossi@example.it", "verificato": True, "principale": True}]
    assert {(c["versione"], c["titolo"]) for c in section["consensi"]} == {
        (d.version, d.title) for d in legal_documents
    }
    [guardianship] = section["tutele"]
    assert guardianship["ruolo"] == "adulto di riferimento"
    assert guardianship["bambino"] == {
        "codice_fiscale": "RSSGLI18C52H501V",
        "nome": "Giulia",
        "cognome": "Rossi",
        "data_di_nascita": "2018-03-12",
        "sesso": "F",
        "scuola": "",
        "classe": "",
    }
    [sent] = section["inviti_inviati"]
    assert (sent["codice_fiscale_invitato"], sent["bambini"], sent["stato"]) == (PAOLO_CF, ["Giulia Rossi"], "pending")
    assert {e["azione"] for e in section["eventi_famiglia"]} == {"child_added", "delegate_invited"}


def test_export_of_a_revoked_delegation_names_the_child_without_its_data(parent, newcomer, giulia):
    invitation = services.invitation_create(
        inviter=parent, children=[giulia], email=newcomer.email, codice_fiscale=PAOLO_CF, base_url="http://x/"
    )
    services.invitation_accept(user=newcomer, token=invitation.token)
    services.delegate_revoke(actor=parent, guardianship=Guardianship.objects.get(adult=newcomer))
    raw = privacy.personal_data_export(user=newcomer)
    data = json.loads(zipfile.ZipFile(io.BytesIO(raw)).read("dati.json"))
    section = data["sezioni"]["famiglie_e_accessi"]
    assert section["tutele"][0]["bambino"] == {"nome": "Giulia", "cognome": "Rossi"}
    assert section["inviti_ricevuti"][0]["da"] == "Maria Rossi"
    assert "RSSGLI18C52H501V" not in json.dumps(data)


def test_export_page_is_a_zip_attachment(parent_client, parent, giulia):
    response = parent_client.get(reverse("accounts:privacy_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="dati-personali-')
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("dati.json"))
    text = json.dumps(data)
    assert parent.codice_fiscale in text
    assert giulia.codice_fiscale in text
    assert "Copia dei tuoi dati personali" in archive.read("LEGGIMI.txt").decode()
    assert parent_client.post(reverse("accounts:privacy_export")).status_code == 405


def test_privacy_pages_need_login(client, db):
    for name in ("privacy_center", "privacy_export", "deletion_request"):
        response = client.get(reverse(f"accounts:{name}"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    response = client.post(reverse("accounts:deletion_request"), {"confirm": "on"})
    assert response.status_code == 302
    assert not DeletionRequest.objects.exists()


# --- deletion requests ----------------------------------------------------------------------------------------


def test_one_pending_deletion_request_per_user(newcomer):
    request = privacy.deletion_request_create(user=newcomer, reason="Non uso più il portale")
    assert (request.status, request.reason, request.user_label) == ("pending", "Non uso più il portale", str(newcomer))
    with pytest.raises(errors.DeletionRequestPendingError, match="già una richiesta di cancellazione in attesa"):
        privacy.deletion_request_create(user=newcomer, reason="")
    assert DeletionRequest.objects.count() == 1


def test_without_retention_the_account_is_deleted(newcomer, staff):
    request = privacy.deletion_request_create(user=newcomer, reason="")
    user_pk = newcomer.pk
    handled = privacy.deletion_request_handle(actor=staff, request=request)
    assert not User.objects.filter(pk=user_pk).exists()
    assert not EmailAddress.objects.filter(user_id=user_pk).exists()
    assert not Consent.objects.filter(user_id=user_pk).exists()
    handled.refresh_from_db()
    assert handled.status == DeletionRequest.Status.DELETED
    assert handled.user is None
    assert handled.handled_by == staff
    assert handled.handled_at is not None
    assert "eliminato" in handled.outcome_note
    assert PAOLO_CF in handled.user_label  # the office's record of who asked


def test_a_guardian_is_anonymised_the_row_kept_and_personal_data_removed(parent, staff, giulia):
    assert privacy.retention_reasons_for_user(user=parent)
    invitation = services.invitation_create(
        inviter=parent,
        children=[giulia],
        email="paolo.verdi@example.it",
        codice_fiscale=PAOLO_CF,
        base_url="http://x/",
    )
    parent.phone = "+39 333 7654321"
    parent.save()
    request = privacy.deletion_request_create(user=parent, reason="")
    handled = privacy.deletion_request_handle(actor=staff, request=request)

    user = User.objects.get(pk=parent.pk)
    assert (user.first_name, user.last_name) == ("Utente", "anonimizzato")
    assert user.email == f"anonimo-{user.pk}@invalid.example"
    assert user.codice_fiscale == f"ANON{user.pk:012d}"
    assert len(user.codice_fiscale) == 16
    assert user.phone == ""
    assert not user.is_active
    assert not is_password_usable(user.password)
    assert not EmailAddress.objects.filter(user=user).exists()
    guardianship = Guardianship.objects.get(adult=user, child=giulia)
    assert (guardianship.revoked_by, guardianship.revoked_at is not None) == (staff, True)
    assert Child.objects.filter(pk=giulia.pk).exists()  # the child stays, without a reference
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert FamilyEvent.objects.filter(
        child=giulia, action=FamilyEvent.Action.REFERENCE_CHANGED, actor=staff, subject=None
    ).exists()

    assert handled.status == DeletionRequest.Status.ANONYMISED
    assert handled.user == user
    assert "anonimizzato" in handled.outcome_note
    assert "registro" in handled.outcome_note  # the retention reason
    assert "non ha più un adulto di riferimento" in handled.outcome_note
    assert "RSSMRA85C52H501N" not in json.dumps(export_data(user))


def test_anonymisation_also_clears_the_invitations_addressed_to_the_user(parent, newcomer, staff, giulia):
    invitation = services.invitation_create(
        inviter=parent, children=[giulia], email=newcomer.email, codice_fiscale=PAOLO_CF, base_url="http://x/"
    )
    services.invitation_accept(user=newcomer, token=invitation.token)
    handled = privacy.deletion_request_handle(
        actor=staff, request=privacy.deletion_request_create(user=newcomer, reason="")
    )
    assert handled.status == DeletionRequest.Status.ANONYMISED
    invitation.refresh_from_db()
    assert PAOLO_CF not in (invitation.codice_fiscale, invitation.email)
    assert "paolo" not in invitation.email
    assert Guardianship.objects.get(child=giulia, revoked_at__isnull=True).adult == parent  # the reference stays


def test_an_anonymised_user_can_no_longer_sign_in(client, newcomer, staff):
    LegalDocument.objects.create(kind="terms", version="x", title="Bozza", body="-", created_by=newcomer)
    privacy.deletion_request_handle(actor=staff, request=privacy.deletion_request_create(user=newcomer, reason=""))
    assert not client.login(username=PAOLO_CF, password=PASSWORD)
    response = client.post(reverse("account_login"), {"login": "paolo.verdi@example.it", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_protected_rows_make_deletion_fall_back_to_anonymisation(newcomer, staff):
    assert privacy.retention_reasons_for_user(user=newcomer) == []
    LegalDocument.objects.create(kind="terms", version="bozza", title="Bozza", body="-", created_by=newcomer)
    handled = privacy.deletion_request_handle(
        actor=staff, request=privacy.deletion_request_create(user=newcomer, reason="")
    )
    assert handled.status == DeletionRequest.Status.ANONYMISED
    assert "documenti legali" in handled.outcome_note
    user = User.objects.get(pk=newcomer.pk)
    assert user.codice_fiscale.startswith("ANON")


def test_only_the_office_handles_requests_and_only_once(newcomer, parent, staff):
    request = privacy.deletion_request_create(user=newcomer, reason="")
    with pytest.raises(errors.DeletionRequestNotAllowedError):
        privacy.deletion_request_handle(actor=parent, request=request)
    assert User.objects.filter(pk=newcomer.pk).exists()
    first = privacy.deletion_request_handle(actor=staff, request=request)
    again = privacy.deletion_request_handle(actor=staff, request=request)
    assert (again.status, again.handled_at) == (first.status, first.handled_at)


# --- pages ------------------------------------------------------------------------------------------------------


def test_privacy_center_explains_rights_and_offers_export_and_deletion(client, newcomer):
    client.force_login(newcomer)
    body = client.get(reverse("accounts:privacy_center")).content.decode()
    assert "Scarica i miei dati" in body
    assert reverse("accounts:privacy_export") in body
    assert reverse("accounts:deletion_request") in body
    assert "Garante" in body
    assert "sarà anonimizzato" not in body


def test_privacy_center_says_why_a_guardian_is_anonymised(parent_client, giulia):
    body = parent_client.get(reverse("accounts:privacy_center")).content.decode()
    assert "Il tuo account sarà anonimizzato, non eliminato" in body
    assert "registro di chi è stato autorizzato" in body


def test_deletion_request_page_creates_one_request_and_shows_its_status(client, newcomer):
    client.force_login(newcomer)
    url = reverse("accounts:deletion_request")
    response = client.post(url, {"reason": "Trasloco"})
    assert response.status_code == 400
    assert "Conferma di aver capito" in response.content.decode()
    assert not DeletionRequest.objects.exists()

    response = client.post(url, {"reason": "Trasloco", "confirm": "on"})
    assert response.status_code == 302
    assert response.url == reverse("accounts:privacy_center")
    request = DeletionRequest.objects.get()
    assert (request.user, request.reason) == (newcomer, "Trasloco")
    body = client.get(response.url).content.decode()
    assert "Abbiamo ricevuto la tua richiesta" in body
    assert "in attesa dell&#x27;ufficio scuola" in body or "in attesa dell'ufficio scuola" in body

    body = client.post(url, {"confirm": "on"}, follow=True).content.decode()
    assert "già una richiesta di cancellazione in attesa" in body
    assert DeletionRequest.objects.count() == 1
    assert client.get(url).status_code == 405
