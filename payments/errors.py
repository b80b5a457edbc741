"""What the payment services refuse, as exceptions whose str() is the message for the user (in their language)."""

from django.utils.translation import gettext_lazy as _

from portal import errors as portal_errors
from portal.errors import DomainError


class PaymentsError(DomainError):
    """A payment rule refused the action; str(error) is the message to show."""


class NotFoundError(PaymentsError, portal_errors.NotFoundError):
    """Not one of the user's (or it does not exist): a view that does not catch it answers 404, never 403."""


class AmountError(PaymentsError):
    default_message = _("Importo non valido.")


class NoticeDataError(PaymentsError):
    """The data of a notice are not acceptable (causale, due date, instalments, service)."""

    default_message = _("Dati dell'avviso non validi.")


class PayerError(NoticeDataError):
    """The payer of a notice the office issues is not one of the child's active adults (or there is none)."""

    default_message = _("Il pagatore deve essere un adulto attivo del bambino.")


class CartError(PaymentsError):
    default_message = _("Questi avvisi non si possono pagare insieme.")


class PlatformUnavailableError(PaymentsError):
    """pagoPA did not answer and the action cannot be completed without it (e.g. cancelling a published notice)."""

    default_message = _("La piattaforma pagoPA non risponde in questo momento: riprova più tardi.")


class PlatformRejectedError(PaymentsError):
    """pagoPA refused the request (the message says why)."""

    default_message = _("La piattaforma pagoPA ha rifiutato la richiesta.")


class LedgerError(PaymentsError):
    default_message = _("Movimento non valido.")
