"""Domain errors of enrollment: str(error) is the message for the user, in their language (Italian first).

Views catch `EnrollmentError` and show `str(error)` (on `error.field` when set, else as a page message).
`EnrollmentNotFoundError` is an `Http404`: an object of another family is never confirmed to exist.
"""

import datetime

from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.errors import DomainError


class EnrollmentError(DomainError):
    """A rule about enrollments refused the action; nothing was saved."""


class EnrollmentNotFoundError(Http404):
    """The child or enrollment is not the user's (or does not exist): the page answers 404."""


class WindowClosedError(EnrollmentError):
    """Enrollment is not open now: says when it opens (before) or that it closed (after)."""

    def __init__(self, *, opens_at: datetime.datetime | None, closes_at: datetime.datetime | None, now=None) -> None:
        self.opens_at = opens_at
        self.closes_at = closes_at
        now = now or timezone.now()
        if opens_at is None or closes_at is None:
            message = gettext("Le iscrizioni a questo servizio per questo anno scolastico non sono aperte.")
        elif now < opens_at:
            when = timezone.localtime(opens_at)
            message = gettext("Le iscrizioni apriranno il %(date)s alle %(time)s.") % {
                "date": date_format(when, "d/m/Y"),
                "time": date_format(when, "H:i"),
            }
        else:
            when = timezone.localtime(closes_at)
            message = gettext(
                "Le iscrizioni sono chiuse dal %(date)s alle %(time)s: per un'iscrizione tardiva rivolgiti "
                "all'ufficio scuola."
            ) % {"date": date_format(when, "d/m/Y"), "time": date_format(when, "H:i")}
        super().__init__(message)


class DuplicateEnrollmentError(EnrollmentError):
    default_message = _(
        "Questo bambino è già iscritto a questo servizio per questo anno scolastico: trovi l'iscrizione nella "
        "pagina della famiglia."
    )


# The message of a TransitionNotAllowedError about an enrollment.
ENROLLMENT_STATE_CHANGED = _("L'iscrizione non è più in uno stato che permette questa operazione.")


class InvalidChoiceError(EnrollmentError):
    """A value that is not among the allowed ones (stop not on the route, class of another school...)."""

    default_message = _("La scelta non è valida: ricarica la pagina e riprova.")


class CertificateError(InvalidChoiceError):
    default_message = _("Il certificato deve essere un file PDF o JPEG di al massimo 5 MB.")
    field = "certificate"


class MissingDataError(EnrollmentError):
    """Something required is missing at submission; `step` names the wizard step to go back to."""

    default_message = _("Mancano alcuni dati obbligatori.")

    def __init__(self, message=None, *, field: str | None = None, step: str = "") -> None:
        self.step = step
        super().__init__(message, field=field)


class CapacityError(EnrollmentError):
    default_message = _("Non ci sono posti liberi su questa linea.")


class TariffNotConfiguredError(EnrollmentError):
    default_message = _(
        "Le tariffe di questo servizio per questo anno non sono ancora state pubblicate: riprova più tardi o "
        "contatta l'ufficio scuola."
    )
