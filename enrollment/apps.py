from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Iscrizioni")

    def ready(self) -> None:
        from . import pdf, privacy  # noqa: F401 - privacy registers the exporter and the retention check

        pdf.register_builders()
