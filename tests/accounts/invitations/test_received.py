"""An invitation survives sign-up and e-mail verification: the family page shows it until accepted or declined
(issue 10, item 10)."""

import html

import pytest
from django.urls import reverse

from accounts import errors, services
from accounts.models import FamilyEvent, Guardianship, Invitation
from tests.accounts.test_registration import confirmation_url, signup_data
from tests.conftest import PASSWORD

from .conftest import invite

NEW_CF = "SPSNNA90B42F839U"
NEW_EMAIL = "anna.esposito@example.it"

pytestmark = pytest.mark.django_db


def _register_through_the_link(client, invitation, mailoutbox, django_capture_on_commit_callbacks):
    """Open the invitation link signed out, register, verify the e-mail, sign in: as a new adult would."""
    link = reverse("accounts:invitation_accept", kwargs={"token": invitation.token})
    assert client.get(link).status_code == 302  # to the login page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_signup") + f"?next={link}", signup_data())
    client.post(confirmation_url(mailoutbox[-1]))
    return client.post(reverse("account_login"), {"login": NEW_CF, "password": PASSWORD}, follow=True)


def test_the_invitation_is_on_the_family_page_after_sign_up_and_verification(
    client, parent, giulia, legal_documents, mailoutbox, django_capture_on_commit_callbacks
):
    invitation = invite(parent, [giulia], email=NEW_EMAIL, codice_fiscale=NEW_CF)

    response = _register_through_the_link(client, invitation, mailoutbox, django_capture_on_commit_callbacks)

    page = client.get(reverse("accounts:family")).content.decode()
    assert response.status_code == 200
    assert "Inviti da delegato in attesa della tua risposta" in page
    assert f"{parent.first_name} {parent.last_name} ti invita come delegato per:" in page
    assert giulia.first_name in page
    assert reverse("accounts:invitation_accept", kwargs={"token": invitation.token}) in page


def test_accepting_from_the_family_page_makes_a_delegate_and_the_invitation_goes(
    client, parent, giulia, legal_documents, mailoutbox, django_capture_on_commit_callbacks
):
    invitation = invite(parent, [giulia], email=NEW_EMAIL, codice_fiscale=NEW_CF)
    _register_through_the_link(client, invitation, mailoutbox, django_capture_on_commit_callbacks)

    client.post(reverse("accounts:invitation_accept", kwargs={"token": invitation.token}))

    assert Guardianship.objects.filter(child=giulia, adult__codice_fiscale=NEW_CF, role="delegate").exists()
    assert "Inviti da delegato in attesa" not in client.get(reverse("accounts:family")).content.decode()


def test_declining_from_the_family_page_closes_it_for_both_adults(client, parent, paolo, giulia):
    invitation = invite(parent, [giulia])
    client.force_login(paolo)

    response = client.post(reverse("accounts:invitation_decline", kwargs={"pk": invitation.pk}), follow=True)

    invitation.refresh_from_db()
    assert invitation.declined_at is not None
    assert "Hai rifiutato l'invito di Maria Rossi" in html.unescape(response.content.decode())
    assert "Inviti da delegato in attesa" not in response.content.decode()
    assert FamilyEvent.objects.filter(child=giulia, action=FamilyEvent.Action.DELEGATE_DECLINED).exists()
    client.force_login(parent)
    child_page = client.get(reverse("accounts:child_detail", kwargs={"pk": giulia.pk})).content.decode()
    assert "Inviti in attesa di risposta" not in child_page
    with pytest.raises(errors.InvitationDeclinedError):
        services.invitation_accept(user=paolo, token=invitation.token)


def test_another_adult_cannot_decline_it(client, parent, paolo, other_parent, giulia):
    invitation = invite(parent, [giulia])
    client.force_login(other_parent)

    response = client.post(reverse("accounts:invitation_decline", kwargs={"pk": invitation.pk}))

    assert response.status_code == 404
    assert Invitation.objects.get(pk=invitation.pk).declined_at is None
