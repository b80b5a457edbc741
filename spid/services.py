"""Who a SPID or CIE identity is on the portal: the account with that codice fiscale, or a new one made from the
identity's attributes (its e-mail recorded as not yet verified; the consent to the terms is asked at the first
page, as for every account without it). Every entry is recorded with its method, level and, for single logout, the
session it opened; an imported family with that codice fiscale is linked (the identity is the proof); after the
Comune's switch-off the portal's password is retired."""

import datetime
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import ClaimedChildren, imported_family_identity_claim, user_password_retire

from .models import IdentityProvider, LoginRecord, SeenAssertion, SpidRequest
from .saml import SpidError, SpidIdentity


@dataclass(frozen=True)
class SpidEntry:
    record: LoginRecord
    claimed: ClaimedChildren
    password_retired: bool


def spid_user_existing(*, identity: SpidIdentity) -> User | None:
    """The account with the identity's codice fiscale (None: a new parent). A deactivated account is refused."""
    user = User.objects.filter(codice_fiscale=identity.fiscal_code).first()
    if user is not None and not user.is_active:
        raise SpidError(_("questo account è disattivato: scrivi all'ufficio scuola."))
    return user


def spid_email_usable(email: str) -> bool:
    """An address a new account can take: present and nobody else's."""
    return bool(email) and not User.objects.filter(email__iexact=email).exists()


@transaction.atomic
def spid_user_for(*, identity: SpidIdentity) -> tuple[User, bool]:
    """The account of the identity (created if new, with the identity's e-mail, which must be usable); (user,
    created). A deactivated account is refused."""
    user = spid_user_existing(identity=identity)
    if user is not None:
        return user, False
    if not spid_email_usable(identity.email):
        raise SpidError(_("serve un indirizzo e-mail che non sia già usato da un altro account."))
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                identity.fiscal_code,
                identity.email,
                None,
                first_name=identity.first_name,
                last_name=identity.last_name,
            )
            EmailAddress.objects.create(user=user, email=identity.email, verified=False, primary=True)
    except IntegrityError as error:  # the same identity, or the same address, an instant earlier
        raise SpidError(_("l'account è appena stato creato da un'altra richiesta: accedi di nuovo.")) from error
    return user, True


def spid_entry_complete(*, user: User, identity: SpidIdentity, session_key: str) -> SpidEntry:
    """After the portal signed `user` in with `identity`: record the entry, link an imported family, retire the
    password if the Comune closed password entries."""
    record = login_record(user=user, identity=identity, session_key=session_key)
    claimed = imported_family_identity_claim(user=user)
    retired = user_password_retire(user=user)
    return SpidEntry(record=record, claimed=claimed, password_retired=retired)


def login_record(*, user: User, identity: SpidIdentity, session_key: str = "") -> LoginRecord:
    method = LoginRecord.Method.CIE if identity.idp.kind == IdentityProvider.Kind.CIE else LoginRecord.Method.SPID
    return LoginRecord.objects.create(
        user=user,
        method=method,
        level=identity.level,
        idp=identity.idp.name[:100],
        idp_entity_id=identity.idp.entity_id,
        name_id=identity.name_id,
        session_index=identity.session_index,
        session_key=session_key,
    )


def password_login_record(sender: object, request: HttpRequest | None, user: User, **kwargs: object) -> None:
    """Every other sign-in (codice fiscale or e-mail and password) is recorded as such."""
    if request is not None and getattr(request, "spid_login", False):
        return
    LoginRecord.objects.create(user=user, method=LoginRecord.Method.PASSWORD)


REQUESTS_KEPT = datetime.timedelta(days=1)  # a request is answered within minutes; an assertion lives minutes
ENTRIES_KEPT = datetime.timedelta(days=400)  # how each account entered: a year and a bit, for the office's audits


@transaction.atomic
def spid_records_purge(*, now: datetime.datetime, dry_run: bool) -> int:
    """The retention purge (portal.site.retention): requests answered or expired and assertions seen more than a
    day ago (a replay that old is refused by its own time window), entries older than ENTRIES_KEPT."""
    querysets = [
        SpidRequest.objects.filter(created_at__lt=now - REQUESTS_KEPT),
        SeenAssertion.objects.filter(at__lt=now - REQUESTS_KEPT),
        LoginRecord.objects.filter(at__lt=now - ENTRIES_KEPT),
    ]
    if dry_run:
        return sum(queryset.count() for queryset in querysets)
    return sum(queryset.delete()[0] for queryset in querysets)
