"""Typing help for views: the request of a signed-in user."""

from django.http import HttpRequest

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind `login_required` (or the admin): `request.user` is a User, never AnonymousUser.

    Only an annotation for type checkers; Django still passes its own HttpRequest.
    """

    user: User
