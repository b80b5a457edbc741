"""Delegates: the adult of reference invites a second adult, who accepts; revocations; the office's reference change.

Writes, one transaction each, a FamilyEvent for every change (the pages' reads are in accounts.selectors).
Every refusal is an InvitationError (accounts.errors) whose str() is the message for the user, in their language.
"""

import secrets
from collections.abc import Iterable
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.errors import ReasonRequiredError
from portal.mail import email_enqueue_template

from ..errors import (
    AlreadyGuardianError,
    EmailBelongsToAnotherAccountError,
    InactiveAdultError,
    InvitationAlreadyAcceptedError,
    InvitationCodiceFiscaleError,
    InvitationDeclinedError,
    InvitationEmailError,
    InvitationExpiredError,
    InvitationNoLongerValidError,
    InvitationNotFoundError,
    InvitationRevokedError,
    InvitationWrongPersonError,
    NoChildrenError,
    NotAllowedError,
    NotReferenceError,
    ReferenceUnchangedError,
    SelfInvitationError,
)
from ..models import Child, FamilyEvent, Guardianship, Invitation, User
from ..selectors import TOKEN_SHAPE, reference_is_active
from ..validators import validate_codice_fiscale
from .family import family_event_record, family_summary_invalidate

INVITATION_VALIDITY = timedelta(days=14)

# Stored in the family log as written (the log reads the same whatever the actor's language).
REASON_INVITATION_REVOKED = "Invito annullato prima dell'accettazione."
REASON_DELEGATE_REVOKED_BY_REFERENCE = "Delega revocata dall'adulto di riferimento."
REASON_DELEGATE_WITHDREW = "Il delegato ha rinunciato alla delega."


# --- helpers ------------------------------------------------------------------------------------------


def _email_owner(email: str) -> User | None:
    """The registered user an e-mail address belongs to (their login address or another of theirs)."""
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user
    address = EmailAddress.objects.filter(email__iexact=email).select_related("user").first()
    return address.user if address is not None else None


def _distinct_children(children: Iterable[Child]) -> list[Child]:
    unique: dict[int, Child] = {}
    for child in children:
        unique.setdefault(child.pk, child)
    return sorted(unique.values(), key=lambda child: (child.first_name, child.last_name, child.pk))


def _invitee_summary_invalidate(invitation: Invitation) -> None:
    """The invited adult's family page lists the invitations waiting for them (when they already have an account)."""
    invitee_ids = User.objects.filter(codice_fiscale=invitation.codice_fiscale).values_list("pk", flat=True)
    family_summary_invalidate(user_ids=list(invitee_ids))


def invitation_accept_url(*, base_url: str, invitation: Invitation) -> str:
    return base_url.rstrip("/") + reverse("accounts:invitation_accept", kwargs={"token": invitation.token})


# --- services ------------------------------------------------------------------------------------------


@transaction.atomic
def invitation_create(
    *, inviter: User, children: Iterable[Child], email: str, codice_fiscale: str, base_url: str
) -> Invitation:
    """The adult of reference of every listed child invites another adult (e-mail + CF) to become delegate.

    `base_url` is the portal's absolute address (the view passes request.build_absolute_uri("/")): the
    e-mail's accept link is built on it. The e-mail names the inviter and the children, nothing else.
    """
    children = _distinct_children(children)
    if not children:
        raise NoChildrenError
    references = set(
        Guardianship.objects.filter(
            adult=inviter, child__in=children, role=Guardianship.Role.REFERENCE, revoked_at__isnull=True
        ).values_list("child_id", flat=True)
    )
    if not inviter.is_active or references != {child.pk for child in children}:
        raise NotReferenceError
    try:
        cf = validate_codice_fiscale(codice_fiscale)
    except ValidationError as exc:
        raise InvitationCodiceFiscaleError(" ".join(exc.messages)) from exc
    email = User.objects.normalize_email((email or "").strip()).lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvitationEmailError from exc
    owner = _email_owner(email)
    if cf == inviter.codice_fiscale or (owner is not None and owner.pk == inviter.pk):
        raise SelfInvitationError
    invitee = User.objects.filter(codice_fiscale=cf).first()
    if invitee is not None:
        guarded = Guardianship.objects.filter(adult=invitee, child__in=children, revoked_at__isnull=True).count()
        if guarded == len(children):
            raise AlreadyGuardianError
    if owner is not None and owner.codice_fiscale != cf:
        raise EmailBelongsToAnotherAccountError

    now = timezone.now()
    invitation = Invitation.objects.create(
        inviter=inviter,
        email=email,
        codice_fiscale=cf,
        token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + INVITATION_VALIDITY,
    )
    invitation.children.set(children)
    for child in children:
        family_event_record(action=FamilyEvent.Action.DELEGATE_INVITED, child=child, actor=inviter, subject=invitee)
    email_enqueue_template(
        template="invitation",
        to=[email],
        context={
            "comune": settings.PORTAL_COMUNE_NAME,
            "inviter_name": inviter.get_full_name(),
            "children_names": [f"{child.first_name} {child.last_name}" for child in children],
            "accept_url": invitation_accept_url(base_url=base_url, invitation=invitation),
            "signup_url": base_url.rstrip("/") + reverse("account_signup"),
            "expires_at": invitation.expires_at,
        },
    )
    _invitee_summary_invalidate(invitation)
    return invitation


def _grantable_children(invitation: Invitation) -> list[Child]:
    """The invitation's children of whom the inviter is still the active adult of reference."""
    return list(
        invitation.children.filter(
            guardianships__adult_id=invitation.inviter_id,
            guardianships__role=Guardianship.Role.REFERENCE,
            guardianships__revoked_at__isnull=True,
        ).order_by("first_name", "last_name", "pk")
    )


def invitation_check(*, user: User, invitation: Invitation) -> list[Child]:
    """Raise the error that would stop `user` accepting; else the children the invitation still grants.

    The codice fiscale is checked first: to anyone else the invitation reveals nothing.
    """
    if invitation.codice_fiscale != user.codice_fiscale:
        raise InvitationWrongPersonError
    if invitation.accepted_at is not None:
        raise InvitationAlreadyAcceptedError
    if invitation.revoked_at is not None:
        raise InvitationRevokedError
    if invitation.declined_at is not None:
        raise InvitationDeclinedError
    if invitation.expires_at <= timezone.now():
        when = date_format(timezone.localtime(invitation.expires_at), "d/m/Y")
        raise InvitationExpiredError(
            gettext("Questo invito è scaduto il %(date)s: chiedi a chi ti ha invitato di inviarne uno nuovo.")
            % {"date": when}
        )
    children = _grantable_children(invitation)
    if not children:
        raise InvitationNoLongerValidError
    return children


@transaction.atomic
def invitation_accept(*, user: User, token: str) -> list[Child]:
    """The invited adult (same CF, signed in) becomes delegate of the children; returns the newly delegated.

    The invitation row is locked: two acceptances at once create one set of delegations.
    """
    invitation = None
    if token and TOKEN_SHAPE.match(token):
        invitation = Invitation.objects.select_for_update().filter(token=token).first()
    if invitation is None:
        raise InvitationNotFoundError
    children = invitation_check(user=user, invitation=invitation)
    # Lock the children too (in a stable order): guardianship changes of a child happen one at a time.
    children = list(Child.objects.select_for_update().filter(pk__in=[c.pk for c in children]).order_by("pk"))
    guarded = set(
        Guardianship.objects.filter(adult=user, child__in=children, revoked_at__isnull=True).values_list(
            "child_id", flat=True
        )
    )
    granted = []
    for child in children:
        if child.pk in guarded:
            continue
        Guardianship.objects.create(
            adult=user, child=child, role=Guardianship.Role.DELEGATE, granted_by_id=invitation.inviter_id
        )
        family_event_record(action=FamilyEvent.Action.DELEGATE_ACCEPTED, child=child, actor=user, subject=user)
        granted.append(child)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    family_summary_invalidate(child_ids=[child.pk for child in granted], user_ids=[user.pk])
    return sorted(granted, key=lambda child: (child.first_name, child.last_name, child.pk))


@transaction.atomic
def invitation_decline(*, user: User, invitation_id: int) -> Invitation:
    """The invited adult says no: the invitation stops waiting on both sides (declining twice changes nothing).

    Only the adult it is meant for may decline it; to anyone else it does not exist.
    """
    invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
    if invitation is None or invitation.codice_fiscale != user.codice_fiscale:
        raise InvitationNotFoundError
    if invitation.declined_at is not None:
        return invitation
    if invitation.accepted_at is not None:
        raise InvitationAlreadyAcceptedError
    if invitation.revoked_at is not None:
        raise InvitationRevokedError
    invitation.declined_at = timezone.now()
    invitation.save(update_fields=["declined_at"])
    family_summary_invalidate(user_ids=[user.pk])
    for child in invitation.children.all():
        family_event_record(action=FamilyEvent.Action.DELEGATE_DECLINED, child=child, actor=user, subject=user)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    """The inviter withdraws an invitation not yet accepted (again: nothing happens)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.inviter_id != actor.pk:
        raise NotAllowedError
    if invitation.revoked_at is not None:
        return invitation
    if invitation.accepted_at is not None:
        raise InvitationAlreadyAcceptedError(
            gettext("Questo invito è già stato accettato: per togliere l'accesso revoca la delega.")
        )
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    invitee = User.objects.filter(codice_fiscale=invitation.codice_fiscale).first()
    if invitee is not None:
        family_summary_invalidate(user_ids=[invitee.pk])
    for child in invitation.children.all():
        family_event_record(
            action=FamilyEvent.Action.DELEGATE_REVOKED,
            child=child,
            actor=actor,
            subject=invitee,
            reason=REASON_INVITATION_REVOKED,
        )
    return invitation


@transaction.atomic
def delegate_revoke(*, actor: User, guardianship: Guardianship) -> Guardianship:
    """The child's active adult of reference revokes a delegate, or the delegate gives up the delegation."""
    guardianship = Guardianship.objects.select_for_update().select_related("child").get(pk=guardianship.pk)
    if guardianship.role != Guardianship.Role.DELEGATE:
        raise NotAllowedError
    is_self = guardianship.adult_id == actor.pk
    if not is_self and not reference_is_active(user=actor, child=guardianship.child):
        raise NotAllowedError
    if guardianship.revoked_at is not None:
        return guardianship
    guardianship.revoked_at = timezone.now()
    guardianship.revoked_by = actor
    guardianship.save(update_fields=["revoked_at", "revoked_by"])
    family_event_record(
        action=FamilyEvent.Action.DELEGATE_REVOKED,
        child=guardianship.child,
        actor=actor,
        subject=guardianship.adult,
        reason=REASON_DELEGATE_WITHDREW if is_self else REASON_DELEGATE_REVOKED_BY_REFERENCE,
    )
    family_summary_invalidate(child_ids=[guardianship.child_id])
    return guardianship


@transaction.atomic
def reference_change(*, actor: User, child: Child, new_adult: User, reason: str) -> Guardianship:
    """The office makes `new_adult` the child's adult of reference (e.g. separated parents); reason mandatory.

    The current reference guardianship is revoked; if `new_adult` was a delegate of the child, that
    delegation is revoked and replaced by the new reference guardianship.
    """
    if not (actor.is_active and actor.is_staff):
        raise NotAllowedError
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequiredError(_("Scrivi il motivo del cambio dell'adulto di riferimento."))
    if not new_adult.is_active:
        raise InactiveAdultError
    child = Child.objects.select_for_update().get(pk=child.pk)
    active = list(Guardianship.objects.select_for_update().filter(child=child, revoked_at__isnull=True))
    current = next((g for g in active if g.role == Guardianship.Role.REFERENCE), None)
    if current is not None and current.adult_id == new_adult.pk:
        raise ReferenceUnchangedError
    now = timezone.now()
    for guardianship in active:
        if guardianship is current or guardianship.adult_id == new_adult.pk:
            guardianship.revoked_at = now
            guardianship.revoked_by = actor
            guardianship.save(update_fields=["revoked_at", "revoked_by"])
    new = Guardianship.objects.create(
        adult=new_adult, child=child, role=Guardianship.Role.REFERENCE, granted_by=actor, granted_at=now
    )
    family_event_record(
        action=FamilyEvent.Action.REFERENCE_CHANGED, child=child, actor=actor, subject=new_adult, reason=reason
    )
    family_summary_invalidate(child_ids=[child.pk])
    return new
