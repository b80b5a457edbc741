"""The office's admin for families: search by any CF or name, guardians of a child, the change log."""

import datetime

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from tests.conftest import make_user


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


@pytest.mark.parametrize("term", ["RSSGLI18C52H501V", "rssgli18c52h501v", "Giulia", "RSSMRA85C52H501N", "maria.rossi"])
def test_children_are_found_by_any_cf_or_name(office_client, giulia, term):
    response = office_client.get(reverse("admin:accounts_child_changelist"), {"q": term})
    assert response.status_code == 200
    assert "RSSGLI18C52H501V" in response.content.decode()


@pytest.mark.parametrize("term", ["RSSGLI18C52H501V", "Rossi", "RSSMRA85C52H501N"])
def test_adults_are_found_by_their_or_their_childrens_cf(office_client, giulia, parent, term):
    response = office_client.get(reverse("admin:accounts_user_changelist"), {"q": term})
    assert parent.codice_fiscale in response.content.decode()


def test_child_page_shows_guardians_and_events(office_client, giulia, parent):
    response = office_client.get(reverse("admin:accounts_child_change", args=[giulia.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert str(parent) in body
    assert "adulto di riferimento" in body
    assert "bambino aggiunto" in body
    assert reverse("admin:accounts_child_reference_change", args=[giulia.pk]) in body


def test_family_events_are_read_only(office_client, giulia):
    response = office_client.get(reverse("admin:accounts_familyevent_changelist"))
    assert response.status_code == 200
    assert "bambino aggiunto" in response.content.decode()
    assert office_client.get(reverse("admin:accounts_familyevent_add")).status_code == 403


def test_office_handles_a_deletion_request_from_the_admin(office_client, other_parent):
    from accounts.models import DeletionRequest
    from accounts.privacy import deletion_request_create

    deletion_request = deletion_request_create(user=other_parent, reason="Non uso più il servizio")
    response = office_client.post(
        reverse("admin:accounts_deletionrequest_changelist"),
        {"action": "handle", "_selected_action": [deletion_request.pk]},
    )
    assert response.status_code == 302
    deletion_request.refresh_from_db()
    assert deletion_request.status in (DeletionRequest.Status.DELETED, DeletionRequest.Status.ANONYMISED)
    assert deletion_request.handled_by == office_client.staff


def test_office_changes_the_reference_with_a_reason(office_client, giulia, parent, other_parent):
    url = reverse("admin:accounts_child_reference_change", args=[giulia.pk])
    response = office_client.post(url, {"new_adult_codice_fiscale": other_parent.codice_fiscale, "reason": ""})
    assert response.status_code == 200  # the reason is mandatory
    response = office_client.post(
        url, {"new_adult_codice_fiscale": other_parent.codice_fiscale.lower(), "reason": "Provvedimento del giudice"}
    )
    assert response.status_code == 302
    from accounts.models import FamilyEvent, Guardianship

    reference = Guardianship.objects.get(child=giulia, role="reference", revoked_at__isnull=True)
    assert reference.adult == other_parent
    event = FamilyEvent.objects.filter(child=giulia, action=FamilyEvent.Action.REFERENCE_CHANGED).get()
    assert (event.reason, event.actor, event.subject) == (
        "Provvedimento del giudice",
        office_client.staff,
        other_parent,
    )


def test_office_prints_activation_letters_from_the_imported_adults_list(office_client):
    from accounts.models import Child, ImportedAdult

    adult = ImportedAdult.objects.create(codice_fiscale="FRRCHR84L61F205A", first_name="Chiara", last_name="Ferrari")
    Child.objects.create(
        codice_fiscale="FRRTMS16P03F205C",
        first_name="Tommaso",
        last_name="Ferrari",
        birth_date="2016-09-03",
        sex="M",
        imported_from=adult,
    )
    response = office_client.post(
        reverse("admin:accounts_importedadult_changelist"),
        {"action": "print_activation_letters", "_selected_action": [adult.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    adult.refresh_from_db()
    assert adult.letter_issued_at is not None


def test_family_event_label_is_in_rome_time(giulia):
    from accounts.models import FamilyEvent

    event = FamilyEvent.objects.get(child=giulia)
    event.at = datetime.datetime(2026, 11, 23, 5, 29, tzinfo=datetime.UTC)
    assert str(event).endswith("23/11/2026 06:29")
