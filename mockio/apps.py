from django.apps import AppConfig


class MockioConfig(AppConfig):
    name = "mockio"
    verbose_name = "IO (finto)"
    default_auto_field = "django.db.models.BigAutoField"
