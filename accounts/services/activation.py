"""Families imported from the Comune's records: activation codes, letters and claiming the children.

The office prints a letter per imported adult with a one-time code; the adult registers with their own
codice fiscale and enters the code. The portal never stores the code, only its HMAC bound to the CF,
so a code works for that CF only; a wrong code is counted and refused after a few tries. An adult whose
verified e-mail is the one the Comune had is linked without a code (at e-mail confirmation and login).
"""

import hmac
import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from ..errors import (
    ActivationAlreadyClaimedError,
    ActivationCodeExpiredError,
    ActivationCodeInvalidError,
    ActivationRateLimitedError,
    ImportedFamilyAlreadyClaimedError,
)
from ..models import Child, FamilyEvent, Guardianship, ImportedAdult, User
from .family import family_event_record, family_summary_invalidate

logger = logging.getLogger(__name__)

# No 0/O, 1/I/L: a code copied by hand from paper must not be ambiguous (31 symbols, ~59 bits in 12).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
CODE_GROUP = 4
CODE_VALIDITY = timedelta(days=180)
MAX_FAILED_ATTEMPTS = 5
FAILED_ATTEMPTS_WINDOW = 3600  # seconds
_DIGEST_SALT = "accounts.activation.code"
# What a parent may type between the groups: dashes of every kind (phones turn "-" into a dash), dots.
_SEPARATORS = frozenset("-_.\u2010\u2011\u2012\u2013\u2014\u2212")


class ClaimedChildren(list[Child]):
    """The children linked by a claim; `skipped` are those that meanwhile got another adult of reference."""

    def __init__(self, children: Iterable[Child] = (), *, skipped: Iterable[Child] = ()) -> None:
        super().__init__(children)
        self.skipped: list[Child] = list(skipped)


# --- codes (no database) ----------------------------------------------------------------------


def activation_code_generate() -> str:
    """A new random code, grouped as printed on the letter: XXXX-XXXX-XXXX."""
    return activation_code_format(code="".join(secrets.choice(CODE_ALPHABET) for _position in range(CODE_LENGTH)))


def activation_code_normalize(*, code: str) -> str:
    """The code as the parent may type it (lower case, spaces, dashes) in its canonical form."""
    return "".join(ch for ch in str(code).upper() if not ch.isspace() and ch not in _SEPARATORS)


def activation_code_is_well_formed(*, code: str) -> bool:
    normalized = activation_code_normalize(code=code)
    return len(normalized) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in normalized)


def activation_code_format(*, code: str) -> str:
    normalized = activation_code_normalize(code=code)
    return "-".join(normalized[i : i + CODE_GROUP] for i in range(0, len(normalized), CODE_GROUP))


def activation_code_digest(*, codice_fiscale: str, code: str, secret: str | None = None) -> str:
    """HMAC-SHA256 (keyed with SECRET_KEY) of the code bound to the CF: a code works for that CF only."""
    value = f"{codice_fiscale.upper()}:{activation_code_normalize(code=code)}"
    return salted_hmac(_DIGEST_SALT, value, secret=secret, algorithm="sha256").hexdigest()


def activation_code_matches(*, imported_adult: ImportedAdult, code: str) -> bool:
    """Whether the code is the one of the adult's current letter (also under a rotated SECRET_KEY)."""
    expected = imported_adult.activation_code_digest
    if not expected or not activation_code_is_well_formed(code=code):
        return False
    matches = False
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        given = activation_code_digest(codice_fiscale=imported_adult.codice_fiscale, code=code, secret=secret)
        matches |= hmac.compare_digest(expected.encode(), given.encode())
    return matches


def activation_code_expires_at(*, imported_adult: ImportedAdult) -> datetime | None:
    if imported_adult.letter_issued_at is None:
        return None
    return imported_adult.letter_issued_at + CODE_VALIDITY


# --- writes -----------------------------------------------------------------------------------


@transaction.atomic
def activation_letter_issue(*, imported_adult: ImportedAdult, actor: User) -> str:
    """A new one-time code for the adult's letter (the previous one stops working); returns it in clear.

    Only the digest is stored: the clear code exists in the printed letter and nowhere else.
    """
    imported_adult = ImportedAdult.objects.select_for_update().get(pk=imported_adult.pk)
    if imported_adult.claimed_at is not None:
        raise ImportedFamilyAlreadyClaimedError(
            _("%(name)s ha già collegato i figli al suo account: la lettera non serve.")
            % {"name": f"{imported_adult.first_name} {imported_adult.last_name}"}
        )
    code = activation_code_generate()
    imported_adult.activation_code_digest = activation_code_digest(
        codice_fiscale=imported_adult.codice_fiscale, code=code
    )
    imported_adult.letter_issued_at = timezone.now()
    imported_adult.save(update_fields=["activation_code_digest", "letter_issued_at"])
    family_event_record(
        action=FamilyEvent.Action.LETTER_ISSUED,
        actor=actor,
        reason=_("Lettera di attivazione per %(name)s (%(cf)s)")
        % {"name": f"{imported_adult.first_name} {imported_adult.last_name}", "cf": imported_adult.codice_fiscale},
    )
    return code


def _failures_key(user: User) -> str:
    return f"accounts:activation-failures:{user.pk}"


def _failures_count(user: User) -> int:
    return cache.get(_failures_key(user), 0)


def _failure_record(user: User) -> None:
    key = _failures_key(user)
    cache.add(key, 0, timeout=FAILED_ATTEMPTS_WINDOW)  # the window starts at the first wrong code
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=FAILED_ATTEMPTS_WINDOW)


def imported_family_claim(*, user: User, code: str) -> ClaimedChildren:
    """Link to the user the children of the imported family with the user's CF, given the letter's code.

    The code is the only proof that the user is the adult the Comune knew: a wrong code, or the code of
    another family's letter, gets the same answer. After MAX_FAILED_ATTEMPTS wrong codes in an hour
    every try is refused.
    """
    if _failures_count(user) >= MAX_FAILED_ATTEMPTS:
        raise ActivationRateLimitedError
    try:
        children = _claim_with_code(user=user, code=code)
    except ActivationCodeInvalidError:
        _failure_record(user)
        raise
    cache.delete(_failures_key(user))
    return children


@transaction.atomic
def _claim_with_code(*, user: User, code: str) -> ClaimedChildren:
    imported_adult = ImportedAdult.objects.select_for_update().filter(codice_fiscale=user.codice_fiscale).first()
    if imported_adult is None:
        raise ActivationCodeInvalidError
    if imported_adult.claimed_at is not None:
        if imported_adult.claimed_by_id == user.pk:
            raise ActivationAlreadyClaimedError
        raise ActivationCodeInvalidError
    if not activation_code_matches(imported_adult=imported_adult, code=code):
        raise ActivationCodeInvalidError
    expires_at = activation_code_expires_at(imported_adult=imported_adult)
    if expires_at is not None and timezone.now() >= expires_at:
        raise ActivationCodeExpiredError
    return _claim(imported_adult=imported_adult, user=user, reason=_("codice della lettera di attivazione"))


def imported_family_auto_claim(*, user: User) -> ClaimedChildren:
    """Link the imported family with the user's CF when its e-mail is one the user has verified.

    Called at every login and e-mail confirmation: one query when there is nothing to claim.
    """
    verified_match = EmailAddress.objects.filter(user_id=user.pk, verified=True, email__iexact=OuterRef("email"))
    candidate = (
        ImportedAdult.objects.filter(codice_fiscale=user.codice_fiscale, claimed_at__isnull=True)
        .exclude(email="")
        .filter(Exists(verified_match))
        .values_list("pk", flat=True)
        .first()
    )
    if candidate is None:
        return ClaimedChildren()
    with transaction.atomic():
        imported_adult = ImportedAdult.objects.select_for_update().get(pk=candidate)
        if imported_adult.claimed_at is not None:  # claimed meanwhile (two logins at once)
            return ClaimedChildren()
        reason = _("e-mail verificata uguale a quella nota al Comune")
        return _claim(imported_adult=imported_adult, user=user, reason=reason)


def imported_family_identity_claim(*, user: User) -> ClaimedChildren:
    """Link the imported family with the user's CF after an entry with SPID or CIE: the identity provider proved
    the codice fiscale, so the letter's code is not needed. One query when there is nothing to claim."""
    if not ImportedAdult.objects.filter(codice_fiscale=user.codice_fiscale, claimed_at__isnull=True).exists():
        return ClaimedChildren()
    with transaction.atomic():
        imported_adult = (
            ImportedAdult.objects.select_for_update()
            .filter(codice_fiscale=user.codice_fiscale, claimed_at__isnull=True)
            .first()
        )
        if imported_adult is None:  # claimed meanwhile
            return ClaimedChildren()
        return _claim(imported_adult=imported_adult, user=user, reason=_("identità digitale (SPID o CIE)"))


def _claim(*, imported_adult: ImportedAdult, user: User, reason: str) -> ClaimedChildren:
    """Inside a transaction, with the imported adult locked: make the user reference of its children."""
    children = list(Child.objects.select_for_update().filter(imported_from=imported_adult).order_by("birth_date"))
    active = list(Guardianship.objects.filter(child__in=children, revoked_at__isnull=True))
    taken = {g.child_id for g in active if g.role == Guardianship.Role.REFERENCE or g.adult_id == user.pk}
    mine = {g.child_id for g in active if g.adult_id == user.pk and g.role == Guardianship.Role.REFERENCE}
    now = timezone.now()
    linked, skipped = [], []
    for child in children:
        if child.pk in mine:
            continue  # already the user's (linked by hand by the office, say): nothing to do, nothing to report
        if child.pk in taken:
            skipped.append(child)
            continue
        try:
            with transaction.atomic():  # a savepoint: a reference granted at this very moment skips the child
                Guardianship.objects.create(
                    adult=user, child=child, role=Guardianship.Role.REFERENCE, granted_by=user, granted_at=now
                )
        except IntegrityError:
            skipped.append(child)
            continue
        family_event_record(
            action=FamilyEvent.Action.CHILD_CLAIMED, child=child, actor=user, subject=user, reason=reason
        )
        linked.append(child)
    if skipped:
        logger.warning(
            "Imported adult %s claimed by user %s: children %s skipped (another adult of reference)",
            imported_adult.pk,
            user.pk,
            [child.pk for child in skipped],
        )
    imported_adult.claimed_by = user
    imported_adult.claimed_at = now
    imported_adult.activation_code_digest = ""
    imported_adult.save(update_fields=["claimed_by", "claimed_at", "activation_code_digest"])
    family_summary_invalidate(child_ids=[child.pk for child in linked], user_ids=[user.pk])
    return ClaimedChildren(linked, skipped=skipped)
