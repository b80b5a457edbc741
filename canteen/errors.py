"""What the canteen's services refuse; str(error) is the message for the user, in their language."""

from django.utils.translation import gettext_lazy as _

from portal.errors import DomainError


class CanteenError(DomainError):
    default_message = _("Operazione non consentita sulla mensa.")


class CutoffPassedError(CanteenError):
    default_message = _("L'ora limite per disdire il pasto di quel giorno è passata.")


class NotServiceDayError(CanteenError):
    default_message = _("In quel giorno la mensa non è in servizio.")


class AttendanceFileError(CanteenError):
    default_message = _("Il file delle presenze non si può leggere.")
