from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Pagamenti")

    def ready(self) -> None:
        from . import checks, pdf, privacy  # noqa: F401 - checks and privacy register themselves on import

        pdf.register_builders()  # the outbox builds the receipt PDF attached to the confirmation e-mail

        from enrollment.hooks import enrollments_accepted_hook_register

        from .services import transport_fees_issue

        enrollments_accepted_hook_register(transport_fees_issue)  # accepting transport issues its yearly fee
