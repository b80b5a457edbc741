from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MockPspConfig(AppConfig):
    name = "mockpsp"
    label = "mockpsp"
    verbose_name = _("Simulatore pagoPA")
