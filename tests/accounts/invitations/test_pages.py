"""Delegates' pages: invite, accept, revoke; the child's page for references and delegates."""

import re

from django.urls import reverse

from accounts.models import Guardianship, Invitation
from tests.conftest import GIULIA, make_user

from .conftest import (
    PAOLO_CF,
    PAOLO_EMAIL,
    invite,
    make_delegate,
)

# --- pages ---------------------------------------------------------------------------------------------------


def test_invite_page_offers_the_parents_children_with_the_current_one_checked(parent_client, giulia, marco):
    response = parent_client.get(reverse("accounts:invite", kwargs={"pk": marco.pk}))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Giulia Rossi" in body
    assert "Marco Rossi" in body
    assert re.search(rf'<input type="checkbox" name="children" value="{marco.pk}"[^>]* checked>', body)
    assert not re.search(rf'<input type="checkbox" name="children" value="{giulia.pk}"[^>]* checked>', body)
    assert GIULIA["codice_fiscale"] not in body


def test_invite_page_sends_the_invitation_and_back_to_the_child(
    parent_client, parent, giulia, marco, django_capture_on_commit_callbacks, mailoutbox
):
    url = reverse("accounts:invite", kwargs={"pk": giulia.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = parent_client.post(
            url, {"email": PAOLO_EMAIL, "codice_fiscale": PAOLO_CF.lower(), "children": [giulia.pk, marco.pk]}
        )
    assert response.status_code == 302
    assert response.url == reverse("accounts:child_detail", kwargs={"pk": giulia.pk})
    invitation = Invitation.objects.get()
    assert set(invitation.children.all()) == {giulia, marco}
    assert len(mailoutbox) == 1
    assert f"http://testserver/famiglia/inviti/{invitation.token}/" in mailoutbox[0].body
    page = parent_client.get(response.url).content.decode()
    assert PAOLO_EMAIL in page  # in the pending invitations, with its revoke button
    assert reverse("accounts:invitation_revoke", kwargs={"pk": invitation.pk}) in page


def test_invite_page_refuses_an_email_longer_than_254_characters(parent_client, giulia):
    long_email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".it"
    url = reverse("accounts:invite", kwargs={"pk": giulia.pk})
    response = parent_client.post(url, {"email": long_email, "codice_fiscale": PAOLO_CF, "children": [giulia.pk]})
    body = response.content.decode()
    assert response.status_code == 200
    assert "può avere al massimo 254 caratteri (ne hai inseriti 311)" in body
    assert f'value="{long_email}"' in body
    assert 'maxlength="254"' not in body  # a browser would cut a pasted address without a word
    assert not Invitation.objects.exists()


def test_invite_page_shows_the_rule_errors_on_the_form(parent_client, giulia, other_parent):
    url = reverse("accounts:invite", kwargs={"pk": giulia.pk})
    response = parent_client.post(
        url, {"email": other_parent.email, "codice_fiscale": PAOLO_CF, "children": [giulia.pk]}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "appartiene a un altro account" in body
    assert "is-invalid" in body
    response = parent_client.post(url, {"email": PAOLO_EMAIL, "codice_fiscale": "VRDPLA80D10H501Y"})
    body = response.content.decode()
    assert "carattere di controllo" in body
    assert "Scegli almeno un bambino" in body
    assert not Invitation.objects.exists()


def test_invite_page_is_404_for_a_delegate_and_another_family(client, parent, paolo, other_parent, giulia, anna):
    make_delegate(parent, [giulia], paolo)
    url = reverse("accounts:invite", kwargs={"pk": giulia.pk})
    client.force_login(paolo)
    assert client.get(url).status_code == 404
    assert (
        client.post(url, {"email": "x@example.it", "codice_fiscale": PAOLO_CF, "children": [giulia.pk]}).status_code
        == 404
    )
    client.force_login(other_parent)
    assert client.get(url).status_code == 404
    # family B cannot slip family A's child into its own invitation either
    response = client.post(
        reverse("accounts:invite", kwargs={"pk": anna.pk}),
        {"email": PAOLO_EMAIL, "codice_fiscale": PAOLO_CF, "children": [anna.pk, giulia.pk]},
    )
    assert response.status_code == 200
    assert not Invitation.objects.filter(inviter=other_parent).exists()


def test_accept_page_shows_who_invites_for_which_children_then_accepts(client, parent, paolo, giulia, marco):
    invitation = invite(parent, [giulia, marco])
    url = reverse("accounts:invitation_accept", kwargs={"token": invitation.token})
    client.force_login(paolo)
    body = client.get(url).content.decode()
    assert "Maria Rossi" in body
    assert "Giulia Rossi" in body
    assert "Marco Rossi" in body
    assert "Accetta" in body
    assert GIULIA["codice_fiscale"] not in body
    response = client.post(url)
    assert response.status_code == 302
    assert response.url == reverse("accounts:family")
    assert Guardianship.objects.filter(adult=paolo, role="delegate").count() == 2
    body = client.get(url).content.decode()
    assert "già stato accettato" in body


def test_accept_page_for_another_cf_shows_only_the_error(client, parent, other_parent, giulia):
    invitation = invite(parent, [giulia])
    url = reverse("accounts:invitation_accept", kwargs={"token": invitation.token})
    client.force_login(other_parent)
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 404
        body = response.content.decode()
        assert "un altro codice fiscale" in body
        assert "Maria Rossi" not in body
        assert "Giulia" not in body
    assert not Guardianship.objects.filter(adult=other_parent, child=giulia).exists()


def test_accept_page_unknown_token_and_anonymous(client, paolo):
    url = reverse("accounts:invitation_accept", kwargs={"token": "not-a-real-token"})
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    client.force_login(paolo)
    nul_byte = reverse("accounts:invitation_accept", kwargs={"token": "NUL"}).replace("NUL", "%00")
    for token_url in (url, nul_byte, reverse("accounts:invitation_accept", kwargs={"token": "x" * 200})):
        response = client.get(token_url)
        assert response.status_code == 404
        assert "Invito non trovato" in response.content.decode()
    assert client.post(url).status_code == 404


def test_revoke_invitation_page(client, parent, other_parent, giulia):
    invitation = invite(parent, [giulia])
    url = reverse("accounts:invitation_revoke", kwargs={"pk": invitation.pk})
    client.force_login(other_parent)
    assert client.post(url).status_code == 404
    client.force_login(parent)
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    assert response.url == reverse("accounts:child_detail", kwargs={"pk": giulia.pk})
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert client.post(reverse("accounts:invitation_revoke", kwargs={"pk": 999_999})).status_code == 404


def test_revoke_delegate_page_for_the_reference(client, parent, other_parent, paolo, giulia):
    delegation = make_delegate(parent, [giulia], paolo)
    url = reverse("accounts:delegate_revoke", kwargs={"pk": delegation.pk})
    client.force_login(other_parent)
    assert client.post(url).status_code == 404
    client.force_login(parent)
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.url == reverse("accounts:child_detail", kwargs={"pk": giulia.pk})
    delegation.refresh_from_db()
    assert delegation.revoked_by == parent
    assert client.post(url).status_code == 404  # already revoked: nothing left to revoke


def test_a_delegate_gives_up_from_the_child_page(client, parent, paolo, giulia):
    delegation = make_delegate(parent, [giulia], paolo)
    client.force_login(paolo)
    page = client.get(reverse("accounts:child_detail", kwargs={"pk": giulia.pk})).content.decode()
    assert "Rinuncia alla delega" in page
    assert "Invita un altro adulto" not in page
    response = client.post(reverse("accounts:delegate_revoke", kwargs={"pk": delegation.pk}))
    assert response.url == reverse("accounts:family")
    assert client.get(reverse("accounts:child_detail", kwargs={"pk": giulia.pk})).status_code == 404


def test_a_delegate_cannot_revoke_the_reference_or_another_delegate(client, parent, paolo, giulia, legal_documents):
    make_delegate(parent, [giulia], paolo)
    sara = make_user(codice_fiscale="NRESRA83H55H501T", email="sara.neri@example.it", documents=legal_documents)
    other = make_delegate(parent, [giulia], sara)
    reference = Guardianship.objects.get(adult=parent, child=giulia)
    client.force_login(paolo)
    for guardianship in (reference, other):
        assert client.post(reverse("accounts:delegate_revoke", kwargs={"pk": guardianship.pk})).status_code == 404
    assert not Guardianship.objects.filter(revoked_at__isnull=False).exists()


def test_child_page_for_the_reference_lists_delegates_invitations_and_the_invite_button(
    parent_client, parent, paolo, giulia
):
    delegation = make_delegate(parent, [giulia], paolo)
    invitation = invite(parent, [giulia], email="sara.neri@example.it", codice_fiscale="NRESRA83H55H501T")
    body = parent_client.get(reverse("accounts:child_detail", kwargs={"pk": giulia.pk})).content.decode()
    assert reverse("accounts:delegate_revoke", kwargs={"pk": delegation.pk}) in body
    assert reverse("accounts:invitation_revoke", kwargs={"pk": invitation.pk}) in body
    assert "sara.neri@example.it" in body
    assert reverse("accounts:invite", kwargs={"pk": giulia.pk}) in body
    assert "Invita un altro adulto" in body
    assert "Rinuncia alla delega" not in body
