"""The one base of every domain error, and the one way a view puts a domain error on a form.

A service refuses an action by raising a `DomainError` subclass: `str(error)` is the message for the user, in
their language, and `error.field` (when set) names the form field it is about. Nothing is saved when one is
raised: services check before they write, inside their transaction.

`NotFoundError` is also an `Http404`: an object of another family is never confirmed to exist, so a view that
does not catch it answers 404, never 403.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule refused the action; nothing was saved. str(error) is the message to show."""

    default_message: str | Promise = _("Operazione non consentita.")
    field: str | None = None

    def __init__(self, message: Any = None, *, field: str | None = None) -> None:
        if field is not None:
            self.field = field
        super().__init__(str(message or self.default_message))

    @property
    def message(self) -> str:
        return str(self)


class NotFoundError(DomainError, Http404):
    """Not one of the user's (or it does not exist): the page answers 404."""

    default_message = _("Non trovato.")


class TransitionNotAllowedError(DomainError):
    """The object is no longer in a state that allows the action (the message says which object)."""

    default_message = _("Questa operazione non è più possibile: la pagina non era aggiornata.")


class ReasonRequiredError(DomainError):
    """A staff action that must say why was given no (or too long a) reason."""

    default_message = _("Scrivi il motivo.")
    field = "reason"


def form_error_add(form: forms.BaseForm, error: DomainError, *, field: str | None = None) -> None:
    """Show a domain error on the form: on its field when the form has it, else above the form (non-field)."""
    name = field if field is not None else error.field
    form.add_error(name if name in form.fields else None, str(error))
