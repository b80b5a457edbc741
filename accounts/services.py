"""Every write about accounts: one function per action, keyword arguments, one transaction."""

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import Consent, LegalDocument, User
from .selectors import CURRENT_DOCUMENTS_CACHE_KEY


def client_ip(request: HttpRequest) -> str | None:
    """The client address as the first trusted proxy saw it (REMOTE_ADDR behind gunicorn/nginx)."""
    return request.META.get("REMOTE_ADDR") or None


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
def legal_document_publish(*, document: LegalDocument, when=None) -> LegalDocument:
    """Publish a version: from then on every user is asked to accept it before going on."""
    document = LegalDocument.objects.select_for_update().get(pk=document.pk)
    if document.published_at is None:
        document.published_at = when or timezone.now()
        document.save(update_fields=["published_at"])
    transaction.on_commit(legal_documents_cache_clear)
    return document


def legal_documents_cache_clear() -> None:
    cache.delete(CURRENT_DOCUMENTS_CACHE_KEY)


@transaction.atomic
def user_profile_update(*, user: User, first_name: str, last_name: str, phone: str) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    user.first_name = first_name
    user.last_name = last_name
    user.phone = phone
    user.save(update_fields=["first_name", "last_name", "phone"])
    return user
