from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SpidConfig(AppConfig):
    name = "spid"
    verbose_name = _("Accesso con SPID e CIE")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import checks, privacy  # noqa: F401 - register the deployment checks and the privacy exporter
        from .services import password_login_record

        user_logged_in.connect(password_login_record, dispatch_uid="spid.password_login_record")
