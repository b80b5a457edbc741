"""The start page's form: which services to start for one child (the wizard's step forms are in `wizard.forms`)."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import ServiceOption

# --- start: child and services ---------------------------------------------------------------------------------


class ServiceChoiceForm(forms.Form):
    """The services to start for one child: only options open now, without an enrollment already."""

    windows = forms.TypedMultipleChoiceField(
        label=_("Servizi"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Scegli almeno un servizio."),
            "invalid_choice": _("Uno dei servizi scelti non è più disponibile: ricarica la pagina e riprova."),
        },
    )

    def __init__(self, *args: Any, options: list[ServiceOption], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = {option.window.pk: option for option in options}
        cast(forms.ChoiceField, self.fields["windows"]).choices = [
            (option.window.pk, f"{option.service.name} {option.school_year.name}")
            for option in options
            if option.is_open and option.enrollment is None
        ]

    def chosen_options(self) -> list[ServiceOption]:
        return [self.options[pk] for pk in self.cleaned_data["windows"]]
