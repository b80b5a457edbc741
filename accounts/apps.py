from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _auto_claim_at_login(sender, request, user, **kwargs) -> None:
    """A parent whose verified e-mail is the one the Comune had finds the children at login."""
    from .services import imported_family_auto_claim
    from .views.activation import claim_announce

    claim_announce(request, imported_family_auto_claim(user=user))


def _auto_claim_at_email_confirmation(sender, request, email_address, **kwargs) -> None:
    from .services import imported_family_auto_claim
    from .views.activation import claim_announce

    claim_announce(request, imported_family_auto_claim(user=email_address.user))


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Famiglie e accessi")

    def ready(self) -> None:
        from allauth.account.signals import email_confirmed
        from django.contrib.auth.signals import user_logged_in

        from . import privacy  # noqa: F401 - registers accounts' exporter and retention checks in every process

        user_logged_in.connect(_auto_claim_at_login, dispatch_uid="accounts.activation.auto_claim_at_login")
        email_confirmed.connect(
            _auto_claim_at_email_confirmation, dispatch_uid="accounts.activation.auto_claim_at_email_confirmation"
        )
