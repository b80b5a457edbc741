"""Families imported from the Comune's records: activation codes, letters and claiming the children."""

from .models import ImportedAdult, User


def imported_family_pending(*, user: User) -> ImportedAdult | None:
    """The imported family waiting for this user (same CF) to claim it, if any."""
    return ImportedAdult.objects.filter(codice_fiscale=user.codice_fiscale, claimed_at__isnull=True).first()
