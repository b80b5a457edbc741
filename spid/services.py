"""Who a SPID identity is on the portal: the account with that codice fiscale, or a new one made from the
identity's attributes (its e-mail recorded as not yet verified; the consent to the terms is asked at the first
page, as for every account without it). Every entry is recorded with its method and level."""

from allauth.account.models import EmailAddress
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.models import User

from .models import LoginRecord
from .saml import SpidError, SpidIdentity


@transaction.atomic
def spid_user_for(*, identity: SpidIdentity) -> tuple[User, bool]:
    """The account of the identity (created if new); (user, created). A deactivated account is refused."""
    user = User.objects.filter(codice_fiscale=identity.fiscal_code).first()
    if user is not None:
        if not user.is_active:
            raise SpidError(_("questo account è disattivato: scrivi all'ufficio scuola."))
        return user, False
    user = User.objects.create_user(
        identity.fiscal_code,
        identity.email,
        None,
        first_name=identity.first_name,
        last_name=identity.last_name,
    )
    if identity.email:
        EmailAddress.objects.create(user=user, email=identity.email, verified=False, primary=True)
    return user, True


def login_record(*, user: User, identity: SpidIdentity) -> LoginRecord:
    return LoginRecord.objects.create(
        user=user, method=LoginRecord.Method.SPID, level=identity.level, idp=identity.idp.name[:100]
    )


def password_login_record(sender: object, request: HttpRequest | None, user: User, **kwargs: object) -> None:
    """Every other sign-in (codice fiscale or e-mail and password) is recorded as such."""
    if request is not None and getattr(request, "spid_login", False):
        return
    LoginRecord.objects.create(user=user, method=LoginRecord.Method.PASSWORD)
