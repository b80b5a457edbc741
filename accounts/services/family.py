"""Writes about the family itself: consents, legal documents, the profile, children and the family log."""

import datetime
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from portal import family_cache

from ..errors import ChildAlreadyKnownError, CodiceFiscaleMismatchError
from ..models import Child, Consent, FamilyEvent, Guardianship, LegalDocument, User
from ..selectors import CURRENT_DOCUMENTS_CACHE_KEY, legal_documents_local_clear
from ..switch_off import password_login_allowed_for, password_switch_off_announced
from ..validators import codice_fiscale_mismatches, validate_codice_fiscale


@transaction.atomic
def consent_accept(*, user: User, documents: list[LegalDocument], ip_address: str | None) -> list[Consent]:
    consents = []
    for document in documents:
        consent, _ = Consent.objects.get_or_create(
            user=user, document=document, defaults={"ip_address": ip_address, "accepted_at": timezone.now()}
        )
        consents.append(consent)
    return consents


@transaction.atomic
def legal_document_publish(*, document: LegalDocument, when: datetime.datetime | None = None) -> LegalDocument:
    """Publish a version: from then on every user is asked to accept it before going on."""
    document = LegalDocument.objects.select_for_update().get(pk=document.pk)
    if document.published_at is None:
        document.published_at = when or timezone.now()
        document.save(update_fields=["published_at"])
    transaction.on_commit(legal_documents_cache_clear)
    return document


def legal_documents_cache_clear() -> None:
    cache.delete(CURRENT_DOCUMENTS_CACHE_KEY)
    legal_documents_local_clear()


def family_summary_invalidate(*, child_ids: Iterable[int] = (), user_ids: Iterable[int] = ()) -> None:
    """What the family page and the payments page show changed for these children (their adults, current or
    past) and these users: their cached summaries are dropped now and again after the caller's transaction commits
    (portal.family_cache). Every service that writes what those pages read calls it, in its transaction;
    tests/portal/family_cache/ lists them and checks that no other one writes those tables."""
    adults = set(user_ids)
    children = {child_id for child_id in child_ids if child_id is not None}
    if children:
        adults.update(Guardianship.objects.filter(child_id__in=children).values_list("adult_id", flat=True))
    family_cache.family_versions_bump(user_ids=adults)


def family_summary_invalidate_all() -> None:
    """Every family's summary is out of date: the office renamed a school, a service or a school year."""
    family_cache.family_generation_bump()


def user_password_retire(*, user: User) -> bool:
    """After the Comune's switch-off, a parent who entered with SPID or CIE loses the portal's password (it can no
    longer open the account). True when a password was retired; staff keep theirs unless SPID is required of them."""
    if not password_switch_off_announced() or not user.has_usable_password():
        return False
    if user.is_staff and password_login_allowed_for(user):
        return False
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return True


@transaction.atomic
def user_profile_update(*, user: User, first_name: str, last_name: str, phone: str, postal_address: str = "") -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    user.first_name = first_name
    user.last_name = last_name
    user.phone = phone
    user.postal_address = " ".join(postal_address.split())[:140]
    user.save(update_fields=["first_name", "last_name", "phone", "postal_address"])
    return user


def family_event_record(
    *,
    action: str,
    child: Child | None = None,
    actor: User | None = None,
    subject: User | None = None,
    reason: str = "",
) -> FamilyEvent:
    return FamilyEvent.objects.create(action=action, child=child, actor=actor, subject=subject, reason=reason)


@transaction.atomic
def child_add(
    *, adult: User, codice_fiscale: str, first_name: str, last_name: str, birth_date: datetime.date, sex: str
) -> Child:
    """A parent adds a child by CF: the parent becomes the child's adult of reference.

    A CF the portal already knows is never attached this way, whoever it belongs to (another family,
    or a family imported from the Comune's records that must claim it with its activation code).
    """
    cf = validate_codice_fiscale(codice_fiscale)
    mismatches = codice_fiscale_mismatches(
        cf, first_name=first_name, last_name=last_name, birth_date=birth_date, sex=sex
    )
    if mismatches:
        raise CodiceFiscaleMismatchError(mismatches)
    if Child.objects.filter(codice_fiscale=cf).exists():
        raise ChildAlreadyKnownError
    child = Child.objects.create(
        codice_fiscale=cf, first_name=first_name, last_name=last_name, birth_date=birth_date, sex=sex
    )
    Guardianship.objects.create(adult=adult, child=child, role=Guardianship.Role.REFERENCE, granted_by=adult)
    family_event_record(action=FamilyEvent.Action.CHILD_ADDED, child=child, actor=adult, subject=adult)
    family_summary_invalidate(child_ids=[child.pk])
    return child
