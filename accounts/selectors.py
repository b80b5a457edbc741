"""Reads about accounts, already scoped to the user they are asked for."""

from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone

from .models import Consent, LegalDocument, User

CURRENT_DOCUMENTS_CACHE_KEY = "accounts:legal-documents:current"


def legal_documents_current() -> dict[str, LegalDocument]:
    """The latest published version of each kind of legal document, by kind (cached until a publish)."""
    documents = cache.get(CURRENT_DOCUMENTS_CACHE_KEY)
    if documents is None:
        now = timezone.now()
        latest = (
            LegalDocument.objects.filter(published_at__lte=now)
            .values("kind")
            .annotate(latest=Max("published_at"))
            .values_list("kind", "latest")
        )
        documents = {}
        for kind, published_at in latest:
            documents[kind] = (
                LegalDocument.objects.filter(kind=kind, published_at=published_at).order_by("-pk").first()
            )
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


def consent_list_for_user(*, user: User) -> list[Consent]:
    return list(Consent.objects.filter(user=user).select_related("document").order_by("-accepted_at"))
