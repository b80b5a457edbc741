"""What the enrollment wizard's step forms share: the base StepForm and small field helpers.

A step form validates what was typed and hands TYPED values to the service (`data_for_update()`: model instances,
bool, Decimal, date, str); the service checks scope and consistency again, never re-parses text.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ...models import Enrollment

YES, NO = "si", "no"


def radio(choices: Any, label: Any, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect, **kwargs)


def no_control_characters(value: str) -> str:
    """Refuse NUL and other control characters (PostgreSQL refuses NUL; the rest is never typed)."""
    if any(ord(char) < 32 and char not in "\r\n\t" for char in value):
        raise ValidationError(_("Il testo contiene caratteri non ammessi."), code="control_characters")
    return value


class StepForm(forms.Form):
    """A wizard page's form: built on the draft it edits.

    `private_visible` is False for an adult who may not see the draft's ISEE value, DSU protocol and medical
    details (`selectors.enrollment_private_data_visible`: a delegate on a draft another adult started): the form
    then shows none of them, and leaving them empty keeps what is stored.
    """

    def __init__(self, *args: Any, enrollment: Enrollment, private_visible: bool = True, **kwargs: Any) -> None:
        self.enrollment = enrollment
        self.private_visible = private_visible
        kwargs.setdefault("initial", self.initial_from(enrollment))
        super().__init__(*args, **kwargs)

    def initial_from(self, enrollment: Enrollment) -> dict[str, Any]:
        return {}

    def data_for_update(self) -> dict[str, object]:
        """The typed values `enrollment_draft_update` takes for this page."""
        return dict(self.cleaned_data)
