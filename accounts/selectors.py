"""Reads about accounts, already scoped to the user they are asked for."""

import datetime
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from .models import Child, Consent, Guardianship, ImportedAdult, Invitation, LegalDocument, User

CURRENT_DOCUMENTS_CACHE_KEY = "accounts:legal-documents:current"
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what secrets.token_urlsafe() makes (invitation tokens)


_LOCAL_DOCUMENTS: dict = {"until": 0.0, "documents": None}
LOCAL_DOCUMENTS_SECONDS = 5.0


def legal_documents_current() -> dict[str, LegalDocument]:
    """The latest published version of each kind of legal document, by kind.

    Read on every signed-in request: kept for a few seconds in the process, in the shared cache until a
    publish (which clears it), and in the database.
    """
    now = time.monotonic()
    if _LOCAL_DOCUMENTS["documents"] is not None and now < _LOCAL_DOCUMENTS["until"]:
        return _LOCAL_DOCUMENTS["documents"]
    documents = _legal_documents_shared()
    _LOCAL_DOCUMENTS.update(documents=documents, until=now + LOCAL_DOCUMENTS_SECONDS)
    return documents


def legal_documents_local_clear() -> None:
    _LOCAL_DOCUMENTS.update(documents=None, until=0.0)


def _legal_documents_shared() -> dict[str, LegalDocument]:
    documents = cache.get(CURRENT_DOCUMENTS_CACHE_KEY)
    if documents is None:
        documents = {}
        published = LegalDocument.objects.filter(published_at__lte=timezone.now()).order_by("-published_at", "-pk")
        for document in published.only("kind", "version", "title", "body", "published_at"):
            documents.setdefault(document.kind, document)  # the newest version of each kind
        cache.set(CURRENT_DOCUMENTS_CACHE_KEY, documents, timeout=300)
    return documents


def legal_document_current(*, kind: str) -> LegalDocument | None:
    return legal_documents_current().get(kind)


def consent_pending_for_user(*, user: User) -> list[LegalDocument]:
    """Current documents the user has not accepted yet."""
    current = legal_documents_current()
    if not current:
        return []
    accepted = set(
        Consent.objects.filter(user=user, document_id__in=[d.pk for d in current.values()]).values_list(
            "document_id", flat=True
        )
    )
    return [doc for doc in current.values() if doc.pk not in accepted]


def consent_is_complete(*, user: User) -> bool:
    """True when the user accepted every current document; remembered in the cache, not the session."""
    current_ids = sorted(doc.pk for doc in legal_documents_current().values())
    if not current_ids:
        return True
    key = f"accounts:consent-ok:{user.pk}:{'-'.join(map(str, current_ids))}"
    if cache.get(key):
        return True
    if consent_pending_for_user(user=user):
        return False
    cache.set(key, True, timeout=24 * 3600)
    return True


def user_has_totp(*, user: User) -> bool:
    """Whether the user signs in with an authenticator app (loaded with the user by our auth backend)."""
    has_totp = getattr(user, "has_totp", None)
    if has_totp is None:
        from allauth.mfa.models import Authenticator

        has_totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    return has_totp


@dataclass(frozen=True)
class ChildCard:
    """What the family page shows of one child: plain values, no model instances to build."""

    pk: int
    first_name: str
    last_name: str
    birth_date: datetime.date
    school_name: str | None
    class_name: str
    role: str


def child_cards_for_user(*, user: User) -> list[ChildCard]:
    """The children the user may act for, as the family page's cards (one query, plain values)."""
    rows = (
        Guardianship.objects.filter(adult=user, revoked_at__isnull=True)
        .order_by("child__birth_date", "child__first_name")
        .values_list(
            "child_id",
            "child__first_name",
            "child__last_name",
            "child__birth_date",
            "child__school__name",
            "child__class_name",
            "role",
        )
    )
    return [ChildCard(*row) for row in rows]


def children_for_user(*, user: User) -> QuerySet[Child]:
    """Every child the user may see and act for: the one scope all parent-facing reads start from."""
    return Child.objects.filter(guardianships__adult=user, guardianships__revoked_at__isnull=True)


def child_get_for_user(*, user: User, pk: int) -> Child:
    """One child of the user's family with the user's role, or Child.DoesNotExist (a 404, never a 403)."""
    guardianship = (
        Guardianship.objects.filter(adult=user, child_id=pk, revoked_at__isnull=True).select_related("child").first()
    )
    if guardianship is None:
        raise Child.DoesNotExist
    child = guardianship.child
    child.viewer_role = guardianship.role
    return child


def guardians_of_child(*, child: Child) -> list[Guardianship]:
    """The active adults of a child (the caller has already checked the viewer may see the child)."""
    return list(child.guardianships.filter(revoked_at__isnull=True).select_related("adult").order_by("role"))


def reference_adults_of_children(*, child_ids: Iterable[int]) -> dict[int, User]:
    """Each child's active adult of reference (an active account), in one query: who is billed and told."""
    rows = Guardianship.objects.filter(
        child_id__in=set(child_ids), role=Guardianship.Role.REFERENCE, revoked_at__isnull=True, adult__is_active=True
    ).select_related("adult")
    return {row.child_id: row.adult for row in rows}


def reference_is_active(*, user: User, child: Child) -> bool:
    """Whether the user is the child's active adult of reference."""
    return Guardianship.objects.filter(
        adult=user, child=child, role=Guardianship.Role.REFERENCE, revoked_at__isnull=True
    ).exists()


# --- imported families ------------------------------------------------------------------------------------


def imported_family_is_pending_for_user(*, user: User) -> bool:
    """Whether an imported family waits for this user to claim it (loaded with the user by our backend)."""
    pending = getattr(user, "has_pending_imported_family", None)
    if pending is None:
        pending = imported_family_get_for_user(user=user) is not None
    return pending


def imported_family_get_for_user(*, user: User) -> ImportedAdult | None:
    """The imported family waiting for this user (same CF) to claim it, if any."""
    return ImportedAdult.objects.filter(codice_fiscale=user.codice_fiscale, claimed_at__isnull=True).first()


# --- delegates and invitations ------------------------------------------------------------------------------


def invitation_status(invitation: Invitation) -> str:
    """The invitation's state: "accepted", "revoked", "declined", "expired" or "pending"."""
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.declined_at is not None:
        return "declined"
    if invitation.expires_at <= timezone.now():
        return "expired"
    return "pending"


def invitations_pending_for_user(*, user: User, child: Child) -> QuerySet[Invitation]:
    """The child's invitations still waiting for an answer, shown to (and revocable by) its reference."""
    if not reference_is_active(user=user, child=child):
        return Invitation.objects.none()
    return (
        Invitation.objects.filter(
            inviter=user,
            children=child,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            declined_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .prefetch_related("children")
        .order_by("-created_at")
    )


def invitations_received_for_user(*, user: User) -> list[Invitation]:
    """Invitations to become delegate waiting for this adult's answer (matched on their codice fiscale, so they
    are found after sign-up and e-mail verification wherever the link was opened)."""
    return list(
        Invitation.objects.filter(
            codice_fiscale=user.codice_fiscale,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            declined_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("inviter")
        .prefetch_related("children")
        .order_by("created_at")
    )


def invitation_get_by_token(*, token: str) -> Invitation | None:
    if not token or not TOKEN_SHAPE.match(token):
        return None
    return Invitation.objects.select_related("inviter").filter(token=token).first()


def invitation_get_for_user(*, user: User, pk: int) -> Invitation:
    """One invitation the user sent, or Invitation.DoesNotExist (a 404)."""
    return Invitation.objects.get(inviter=user, pk=pk)


def delegation_get_for_user(*, user: User, pk: int) -> Guardianship:
    """An active delegation the user may revoke (as the child's reference) or give up (as the delegate).

    Anything else raises Guardianship.DoesNotExist (a 404).
    """
    guardianship = (
        Guardianship.objects.select_related("child", "adult")
        .filter(pk=pk, role=Guardianship.Role.DELEGATE, revoked_at__isnull=True)
        .first()
    )
    if guardianship is None:
        raise Guardianship.DoesNotExist
    if guardianship.adult_id != user.pk and not reference_is_active(user=user, child=guardianship.child):
        raise Guardianship.DoesNotExist
    return guardianship


def children_referenced_for_user(*, user: User) -> QuerySet[Child]:
    """The children of whom the user is the active adult of reference (those they may invite for)."""
    return Child.objects.filter(
        guardianships__adult=user,
        guardianships__role=Guardianship.Role.REFERENCE,
        guardianships__revoked_at__isnull=True,
    ).order_by("birth_date", "first_name")
