"""What the parent's enrollment views share."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts.models import User


def signed_in_user(request: HttpRequest) -> User:
    """The signed-in user of a `login_required` view (typed as such for the selectors and services)."""
    user = request.user
    if not isinstance(user, User):  # pragma: no cover - login_required lets no anonymous user through
        raise PermissionDenied
    return user
