from allauth.account.auth_backends import AuthenticationBackend as AllauthAuthenticationBackend
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef


class AuthenticationBackend(AllauthAuthenticationBackend):
    """allauth's backend (codice fiscale or e-mail), loading with the user whether TOTP is active.

    Every signed-in request loads the user once; the family page and the admin's TOTP check read
    `user.has_totp` instead of asking the database again.
    """

    def get_user(self, user_id):
        totp = Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
        user = get_user_model()._default_manager.annotate(has_totp=Exists(totp)).filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
