from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthAuthenticationBackend
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from .models import ImportedAdult


def _has_pending_imported_family_expression() -> RawSQL:
    """EXISTS(an imported family with the row's CF, not yet claimed): the family page's activation callout."""
    quote = connection.ops.quote_name
    user_table = quote(get_user_model()._meta.db_table)
    sql = (
        f"EXISTS (SELECT 1 FROM {quote(ImportedAdult._meta.db_table)} i "  # noqa: S608
        f"WHERE i.{quote('codice_fiscale')} = {user_table}.{quote('codice_fiscale')} "
        f"AND i.{quote('claimed_at')} IS NULL)"
    )
    return RawSQL(sql, (), output_field=BooleanField())  # noqa: S611


def _has_totp_expression() -> RawSQL:
    """EXISTS(an active TOTP authenticator for the row's user), as plain SQL: the ORM's Exists()
    costs more to compile on every request than the query costs to run."""
    quote = connection.ops.quote_name
    user_table = quote(get_user_model()._meta.db_table)
    # Only table and column names from the models, quoted; the value is a query parameter.
    sql = (
        f"EXISTS (SELECT 1 FROM {quote(Authenticator._meta.db_table)} a "  # noqa: S608
        f"WHERE a.{quote('user_id')} = {user_table}.{quote('id')} AND a.{quote('type')} = %s)"
    )
    return RawSQL(sql, (Authenticator.Type.TOTP.value,), output_field=BooleanField())  # noqa: S611


def _email_verified_expression() -> RawSQL:
    """EXISTS(a verified address equal to the row's e-mail): a SPID/CIE account's address stays to confirm."""
    quote = connection.ops.quote_name
    user_table = quote(get_user_model()._meta.db_table)
    sql = (
        f"EXISTS (SELECT 1 FROM {quote(EmailAddress._meta.db_table)} e "  # noqa: S608
        f"WHERE e.{quote('user_id')} = {user_table}.{quote('id')} AND e.{quote('verified')} "
        f"AND UPPER(e.{quote('email')}) = UPPER({user_table}.{quote('email')}))"
    )
    return RawSQL(sql, (), output_field=BooleanField())  # noqa: S611


class AuthenticationBackend(AllauthAuthenticationBackend):
    """allauth's backend (codice fiscale or e-mail), loading with the user the facts the pages need.

    Every signed-in request loads the user once; the family page and the admin's TOTP check read
    `user.has_totp` and `user.has_pending_imported_family` instead of asking the database again.
    A higher layer that knows more about the user (the site's pages: portal.site.backends) subclasses
    this backend and adds its facts in `user_annotations`, so accounts never imports the apps above it.
    """

    def user_annotations(self) -> dict[str, Any]:
        """The expressions annotated on the user, by attribute name."""
        return {
            "has_totp": _has_totp_expression(),
            "has_pending_imported_family": _has_pending_imported_family_expression(),
            "email_verified": _email_verified_expression(),
        }

    def get_user(self, user_id):
        manager = get_user_model()._default_manager
        try:
            user = manager.annotate(**self.user_annotations()).get(pk=user_id)
        except manager.model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
