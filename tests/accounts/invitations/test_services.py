"""Delegates' services: create, accept, revoke, the office's reference change; the pending invitations."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connections
from django.utils import timezone

from accounts import errors, selectors, services
from accounts.models import Child, FamilyEvent, Guardianship, Invitation
from portal.errors import ReasonRequiredError
from portal.models import OutboxEmail
from tests.conftest import GIULIA, make_user

from .conftest import (
    MARCO,
    PAOLO_CF,
    PAOLO_EMAIL,
    invite,
    make_delegate,
)

# --- invitation_create ---------------------------------------------------------------------------------


def test_create_stores_token_expiry_children_and_logs_each_child(parent, giulia, marco):
    before = timezone.now()
    invitation = invite(parent, [giulia, marco], email="  Paolo.Verdi@Example.IT ", codice_fiscale="vrdpla80d10h501x")
    assert invitation.codice_fiscale == PAOLO_CF
    assert invitation.email == PAOLO_EMAIL
    assert len(invitation.token) >= 40
    assert before + timedelta(days=14) <= invitation.expires_at <= timezone.now() + timedelta(days=14)
    assert set(invitation.children.all()) == {giulia, marco}
    events = FamilyEvent.objects.filter(action=FamilyEvent.Action.DELEGATE_INVITED)
    assert {(e.child, e.actor) for e in events} == {(giulia, parent), (marco, parent)}


def test_create_sends_the_invitee_an_email_with_link_names_and_expiry_but_no_child_cf(
    parent, giulia, marco, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(parent, [giulia, marco])
    outbox = OutboxEmail.objects.get(kind="invitation")
    assert outbox.to == [PAOLO_EMAIL]
    assert "Maria Rossi" in outbox.subject
    link = f"https://portale.example.it/famiglia/inviti/{invitation.token}/"
    expiry = timezone.localtime(invitation.expires_at).strftime("%d/%m/%Y")
    for body in (outbox.body_text, outbox.body_html):
        assert link in body
        assert "Maria Rossi" in body
        assert "Giulia Rossi" in body
        assert "Marco Rossi" in body
        assert expiry in body
        assert GIULIA["codice_fiscale"] not in body
        assert MARCO["codice_fiscale"] not in body
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [PAOLO_EMAIL]


def test_only_the_active_reference_of_every_child_may_invite(parent, other_parent, paolo, giulia, anna):
    with pytest.raises(errors.NotReferenceError):
        invite(other_parent, [giulia])
    with pytest.raises(errors.NotReferenceError):  # one child of another family in the list
        invite(parent, [giulia, anna])
    make_delegate(parent, [giulia], paolo)
    with pytest.raises(errors.NotReferenceError):  # a delegate may not invite
        invite(paolo, [giulia], email="luca.bianchi@example.it", codice_fiscale=other_parent.codice_fiscale)
    with pytest.raises(errors.NoChildrenError):
        invite(parent, [])
    assert Invitation.objects.count() == 1


def test_create_validates_the_cf_and_the_email(parent, giulia):
    with pytest.raises(errors.InvitationCodiceFiscaleError) as excinfo:
        invite(parent, [giulia], codice_fiscale="VRDPLA80D10H501Y")
    assert excinfo.value.field == "codice_fiscale"
    assert "carattere di controllo" in str(excinfo.value)
    with pytest.raises(errors.InvitationEmailError):
        invite(parent, [giulia], email="not-an-email")
    assert not Invitation.objects.exists()


def test_inviting_yourself_is_refused(parent, giulia):
    with pytest.raises(errors.SelfInvitationError):
        invite(parent, [giulia], codice_fiscale=parent.codice_fiscale, email="altro@example.it")
    with pytest.raises(errors.SelfInvitationError):
        invite(parent, [giulia], email=parent.email.upper())


def test_inviting_an_adult_who_already_guards_all_the_children_is_refused(parent, paolo, giulia, marco):
    make_delegate(parent, [giulia], paolo)
    with pytest.raises(errors.AlreadyGuardianError):
        invite(parent, [giulia])
    invitation = invite(parent, [giulia, marco])  # Marco is new for him: allowed
    assert services.invitation_accept(user=paolo, token=invitation.token) == [marco]
    assert Guardianship.objects.filter(adult=paolo, revoked_at__isnull=True).count() == 2


def test_an_email_of_another_account_with_another_cf_is_refused(parent, other_parent, giulia):
    with pytest.raises(errors.EmailBelongsToAnotherAccountError) as excinfo:
        invite(parent, [giulia], email=other_parent.email, codice_fiscale=PAOLO_CF)
    assert str(excinfo.value) == (
        "Questo indirizzo e-mail appartiene a un altro account: controlla il codice fiscale o usa un altro indirizzo."
    )
    assert excinfo.value.field == "email"
    # the same address with its owner's CF is fine
    assert invite(parent, [giulia], email=other_parent.email, codice_fiscale=other_parent.codice_fiscale)


# --- invitation_accept ---------------------------------------------------------------------------------


def test_accept_makes_the_invitee_delegate_of_each_child(parent, paolo, giulia, marco):
    invitation = invite(parent, [giulia, marco])
    children = services.invitation_accept(user=paolo, token=invitation.token)
    assert children == [giulia, marco]
    delegations = Guardianship.objects.filter(adult=paolo)
    assert {(g.child, g.role, g.granted_by) for g in delegations} == {
        (giulia, "delegate", parent),
        (marco, "delegate", parent),
    }
    invitation.refresh_from_db()
    assert invitation.accepted_by == paolo
    assert invitation.accepted_at is not None
    accepted = FamilyEvent.objects.filter(action=FamilyEvent.Action.DELEGATE_ACCEPTED)
    assert {(e.child, e.actor, e.subject) for e in accepted} == {(giulia, paolo, paolo), (marco, paolo, paolo)}


def test_accept_by_another_cf_says_so_and_reveals_nothing_else(parent, other_parent, giulia):
    invitation = invite(parent, [giulia])
    invitation.revoked_at = timezone.now()  # even a revoked invitation is not described to someone else
    invitation.save()
    with pytest.raises(errors.InvitationWrongPersonError) as excinfo:
        services.invitation_accept(user=other_parent, token=invitation.token)
    message = str(excinfo.value)
    assert "un altro codice fiscale" in message
    assert "Maria" not in message
    assert "annullato" not in message
    assert not Guardianship.objects.filter(adult=other_parent, child=giulia).exists()


def test_accept_an_expired_invitation_says_when_it_expired(parent, paolo, giulia):
    invitation = invite(parent, [giulia])
    with (
        time_machine.travel(timezone.now() + timedelta(days=15)),
        pytest.raises(errors.InvitationExpiredError) as excinfo,
    ):
        services.invitation_accept(user=paolo, token=invitation.token)
    assert timezone.localtime(invitation.expires_at).strftime("%d/%m/%Y") in str(excinfo.value)
    assert not Guardianship.objects.filter(adult=paolo).exists()


def test_accept_twice_says_already_accepted(parent, paolo, giulia):
    invitation = invite(parent, [giulia])
    services.invitation_accept(user=paolo, token=invitation.token)
    with pytest.raises(errors.InvitationAlreadyAcceptedError) as excinfo:
        services.invitation_accept(user=paolo, token=invitation.token)
    assert str(excinfo.value) == "Questo invito è già stato accettato."
    assert Guardianship.objects.filter(adult=paolo).count() == 1


def test_accept_a_revoked_or_unknown_invitation(parent, paolo, giulia):
    invitation = invite(parent, [giulia])
    services.invitation_revoke(actor=parent, invitation=invitation)
    with pytest.raises(errors.InvitationRevokedError, match="annullato"):
        services.invitation_accept(user=paolo, token=invitation.token)
    for token in ("not-a-token", "", "\x00", "a" * 65):
        with pytest.raises(errors.InvitationNotFoundError):
            services.invitation_accept(user=paolo, token=token)


def test_accept_is_refused_once_the_inviter_is_no_longer_reference(parent, other_parent, paolo, staff, giulia):
    invitation = invite(parent, [giulia])
    services.reference_change(actor=staff, child=giulia, new_adult=other_parent, reason="Sentenza del tribunale")
    with pytest.raises(errors.InvitationNoLongerValidError):
        services.invitation_accept(user=paolo, token=invitation.token)
    assert not Guardianship.objects.filter(adult=paolo).exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_acceptances_create_one_set_of_delegations(parent, paolo, giulia, marco):
    if not settings.USING_SERVICES:
        pytest.skip("row locks need PostgreSQL: this run fell back to SQLite")
    invitation = invite(parent, [giulia, marco])
    barrier = threading.Barrier(2)
    outcomes: list = []

    def accept():
        try:
            barrier.wait(timeout=10)
            outcomes.append(services.invitation_accept(user=paolo, token=invitation.token))
        except errors.InvitationError as error:
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2
    granted = [o for o in outcomes if isinstance(o, list)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(granted) == 1
    assert {c.pk for c in granted[0]} == {giulia.pk, marco.pk}
    assert len(refused) == 1
    assert isinstance(refused[0], errors.InvitationAlreadyAcceptedError)
    assert Guardianship.objects.filter(adult=paolo).count() == 2
    assert FamilyEvent.objects.filter(action=FamilyEvent.Action.DELEGATE_ACCEPTED).count() == 2


# --- revocations ---------------------------------------------------------------------------------------


def test_only_the_inviter_revokes_a_pending_invitation(parent, other_parent, paolo, giulia):
    invitation = invite(parent, [giulia])
    with pytest.raises(errors.NotAllowedError):
        services.invitation_revoke(actor=other_parent, invitation=invitation)
    revoked = services.invitation_revoke(actor=parent, invitation=invitation)
    assert revoked.revoked_at is not None
    assert services.invitation_revoke(actor=parent, invitation=invitation).revoked_at == revoked.revoked_at
    event = FamilyEvent.objects.get(action=FamilyEvent.Action.DELEGATE_REVOKED)
    assert (event.child, event.actor, event.subject) == (giulia, parent, paolo)
    accepted = invite(parent, [giulia])
    services.invitation_accept(user=paolo, token=accepted.token)
    with pytest.raises(errors.InvitationAlreadyAcceptedError, match="revoca la delega"):
        services.invitation_revoke(actor=parent, invitation=accepted)


def test_the_reference_revokes_a_delegate(parent, paolo, giulia):
    delegation = make_delegate(parent, [giulia], paolo)
    services.delegate_revoke(actor=parent, guardianship=delegation)
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None
    assert delegation.revoked_by == parent
    event = FamilyEvent.objects.filter(action=FamilyEvent.Action.DELEGATE_REVOKED).get()
    assert (event.child, event.actor, event.subject) == (giulia, parent, paolo)
    assert list(selectors.children_referenced_for_user(user=paolo)) == []
    assert not Child.objects.filter(guardianships__adult=paolo, guardianships__revoked_at__isnull=True).exists()


def test_a_delegate_gives_up_the_delegation(parent, paolo, giulia):
    delegation = make_delegate(parent, [giulia], paolo)
    services.delegate_revoke(actor=paolo, guardianship=delegation)
    delegation.refresh_from_db()
    assert delegation.revoked_by == paolo
    assert "rinunciato" in FamilyEvent.objects.get(action=FamilyEvent.Action.DELEGATE_REVOKED).reason


def test_nobody_else_revokes_a_delegation_and_the_reference_is_not_revocable_this_way(
    parent, other_parent, paolo, giulia, legal_documents
):
    delegation = make_delegate(parent, [giulia], paolo)
    sara = make_user(codice_fiscale="NRESRA83H55H501T", email="sara.neri@example.it", documents=legal_documents)
    make_delegate(parent, [giulia], sara)
    for actor in (other_parent, sara):  # another family; another delegate of the same child
        with pytest.raises(errors.NotAllowedError):
            services.delegate_revoke(actor=actor, guardianship=delegation)
    reference = Guardianship.objects.get(adult=parent, child=giulia)
    with pytest.raises(errors.NotAllowedError):
        services.delegate_revoke(actor=parent, guardianship=reference)
    assert Guardianship.objects.filter(revoked_at__isnull=False).count() == 0


# --- reference_change (the office) -----------------------------------------------------------------------


def test_reference_change_moves_the_reference_and_logs_the_reason(parent, other_parent, staff, giulia):
    new = services.reference_change(actor=staff, child=giulia, new_adult=other_parent, reason="Accordo tra i genitori")
    old = Guardianship.objects.get(adult=parent, child=giulia)
    assert old.revoked_at is not None
    assert old.revoked_by == staff
    assert (new.adult, new.role, new.granted_by, new.revoked_at) == (other_parent, "reference", staff, None)
    event = FamilyEvent.objects.get(action=FamilyEvent.Action.REFERENCE_CHANGED)
    assert (event.child, event.actor, event.subject, event.reason) == (
        giulia,
        staff,
        other_parent,
        "Accordo tra i genitori",
    )


def test_reference_change_replaces_the_delegation_of_a_delegate(parent, paolo, staff, giulia):
    delegation = make_delegate(parent, [giulia], paolo)
    services.reference_change(actor=staff, child=giulia, new_adult=paolo, reason="Richiesta dei genitori")
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None
    active = Guardianship.objects.filter(child=giulia, revoked_at__isnull=True)
    assert [(g.adult, g.role) for g in active] == [(paolo, "reference")]


def test_reference_change_is_for_the_office_with_a_reason(parent, other_parent, staff, giulia):
    with pytest.raises(errors.NotAllowedError):
        services.reference_change(actor=parent, child=giulia, new_adult=other_parent, reason="Perché sì")
    with pytest.raises(ReasonRequiredError):
        services.reference_change(actor=staff, child=giulia, new_adult=other_parent, reason="   ")
    with pytest.raises(errors.ReferenceUnchangedError):
        services.reference_change(actor=staff, child=giulia, new_adult=parent, reason="Nessun cambio")
    assert Guardianship.objects.get(child=giulia, revoked_at__isnull=True).adult == parent


# --- selectors -----------------------------------------------------------------------------------------------


def test_pending_invitations_are_shown_to_the_reference_only(parent, paolo, giulia, marco, legal_documents):
    pending = invite(parent, [giulia])
    invite(parent, [marco], email="altro@example.it", codice_fiscale="NRESRA83H55H501T")
    accepted = invite(parent, [giulia], email="terzo@example.it", codice_fiscale=paolo.codice_fiscale)
    services.invitation_accept(user=paolo, token=accepted.token)
    revoked = invite(parent, [giulia], email="quarto@example.it", codice_fiscale="BNCLCU82L04F205H")
    services.invitation_revoke(actor=parent, invitation=revoked)
    assert list(selectors.invitations_pending_for_user(user=parent, child=giulia)) == [pending]
    assert list(selectors.invitations_pending_for_user(user=paolo, child=giulia)) == []  # a delegate
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert list(selectors.invitations_pending_for_user(user=parent, child=giulia)) == []
    assert selectors.invitation_get_by_token(token=pending.token) == pending
    assert selectors.invitation_get_by_token(token="nope") is None
