"""The authentication backend of the site: accounts' backend, plus what the page chrome needs from other apps."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from accounts.backends import AuthenticationBackend as AccountsAuthenticationBackend
from enrollment.models import SchoolStaff


def _is_school_staff_expression() -> RawSQL:
    """EXISTS(a school staff role for the row's user): the menu's link to the schools' files."""
    quote = connection.ops.quote_name
    user_table = quote(get_user_model()._meta.db_table)
    sql = (
        f"EXISTS (SELECT 1 FROM {quote(SchoolStaff._meta.db_table)} s "  # noqa: S608
        f"WHERE s.{quote('user_id')} = {user_table}.{quote('id')})"
    )
    return RawSQL(sql, (), output_field=BooleanField())  # noqa: S611


class AuthenticationBackend(AccountsAuthenticationBackend):
    """accounts' backend (codice fiscale or e-mail, `has_totp`, `has_pending_imported_family`) that also loads
    `user.is_school_staff` for the menu: a fact of enrollment, which accounts (a lower layer) may not read."""

    def user_annotations(self) -> dict[str, Any]:
        return {**super().user_annotations(), "is_school_staff": _is_school_staff_expression()}
