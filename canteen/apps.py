from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CanteenConfig(AppConfig):
    name = "canteen"
    verbose_name = _("Mensa: giorni e pasti")

    def ready(self) -> None:
        from enrollment.hooks import kitchen_requests_hook_register, submit_check_hook_register

        from .selectors import arrears_block_check, kitchen_requests

        kitchen_requests_hook_register(kitchen_requests)
        submit_check_hook_register(arrears_block_check)
