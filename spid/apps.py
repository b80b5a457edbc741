from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SpidConfig(AppConfig):
    name = "spid"
    verbose_name = _("SPID")
    default_auto_field = "django.db.models.BigAutoField"
