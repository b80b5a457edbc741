"""What the enrollment wizard's step forms share: the base StepForm and small field helpers.

The forms themselves are in `forms_school`, `forms_diet` and `forms_transport`, re-exported by `enrollment.forms`
(import them from there).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Enrollment

YES, NO = "si", "no"


def radio(choices, label, **kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect, **kwargs)


def no_control_characters(value: str) -> str:
    """Refuse NUL and other control characters (PostgreSQL refuses NUL; the rest is never typed)."""
    if any(ord(char) < 32 and char not in "\r\n\t" for char in value):
        raise ValidationError(_("Il testo contiene caratteri non ammessi."), code="control_characters")
    return value


class StepForm(forms.Form):
    """A wizard page's form: built on the draft it edits."""

    def __init__(self, *args, enrollment: Enrollment, **kwargs) -> None:
        self.enrollment = enrollment
        kwargs.setdefault("initial", self.initial_from(enrollment))
        super().__init__(*args, **kwargs)

    def initial_from(self, enrollment: Enrollment) -> dict:
        return {}

    def data_for_update(self) -> dict:
        return dict(self.cleaned_data)
