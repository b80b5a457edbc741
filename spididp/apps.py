from django.apps import AppConfig


class SpididpConfig(AppConfig):
    name = "spididp"
    verbose_name = "SPID (IdP di prova)"
    default_auto_field = "django.db.models.BigAutoField"
