"""The parent's enrollment wizard: one form per page, validation of what was typed only.

Each step form knows the draft it edits (`enrollment=`): its choices come from the selectors (only the schools
the service serves, only the classes of the chosen school, only the stops of the chosen route), its initial
values from the draft, and `data_for_update()` gives the dict `enrollment_draft_update` takes. The rules
(windows, duplicates, tariffs, capacity) stay in the services; a form only says "this is not what we asked".

The choice of services and the declarations are here; the step forms live in `forms_school` (school, class,
residency, ISEE), `forms_diet` and `forms_transport`, on the base in `forms_common`. All are re-exported below,
so callers import every form from `enrollment.forms`.
"""

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .forms_common import NO, YES, StepForm
from .forms_diet import (
    CERTIFICATE_EXTENSIONS,
    DIET_LABELS,
    ETHICAL_DIETS,
    DietForm,
    certificate_check,
    medical_diet_of,
)
from .forms_school import ClassForm, IseeForm, ResidencyForm, SchoolChoiceField, SchoolForm, isee_expired_warning
from .forms_transport import (
    PICKUP_LINE_MAX,
    PICKUP_MAX_LINES,
    PickupForm,
    RouteChoiceField,
    RouteForm,
    StopChoiceField,
    StopForm,
)
from .models import Enrollment

__all__ = [
    "CERTIFICATE_EXTENSIONS",
    "DIET_LABELS",
    "ETHICAL_DIETS",
    "NO",
    "PICKUP_LINE_MAX",
    "PICKUP_MAX_LINES",
    "YES",
    "ClassForm",
    "DeclarationsForm",
    "DietForm",
    "IseeForm",
    "PickupForm",
    "ResidencyForm",
    "RouteChoiceField",
    "RouteForm",
    "SchoolChoiceField",
    "SchoolForm",
    "ServiceChoiceForm",
    "StepForm",
    "StopChoiceField",
    "StopForm",
    "certificate_check",
    "isee_expired_warning",
    "medical_diet_of",
]


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

    def __init__(self, *args, options, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.options = {option.window.pk: option for option in options}
        self.fields["windows"].choices = [
            (option.window.pk, f"{option.service.name} {option.school_year.name}")
            for option in options
            if option.is_open and option.enrollment is None
        ]

    def chosen_options(self) -> list:
        return [self.options[pk] for pk in self.cleaned_data["windows"]]


# --- declarations and submission -------------------------------------------------------------------------------


class DeclarationsForm(forms.Form):
    truthful = forms.BooleanField(
        label=_(
            "Dichiaro che i dati inseriti sono veri. So che chi dichiara il falso è punito dalla legge e perde i "
            "benefici ottenuti (articoli 75 e 76 del DPR 445/2000)."
        ),
        error_messages={"required": _("Per inviare la domanda devi confermare che i dati sono veri.")},
    )
    privacy = forms.BooleanField(
        error_messages={"required": _("Per inviare la domanda devi dichiarare di aver letto l'informativa.")},
    )
    health_consent = forms.BooleanField(
        label=_(
            "Acconsento al trattamento dei dati sulla salute del bambino (dieta per motivi di salute e certificato "
            "medico): li vedranno solo l'ufficio scuola e la cucina, per preparare i pasti in sicurezza."
        ),
        error_messages={
            "required": _("Senza il consenso ai dati sulla salute non possiamo preparare la dieta medica.")
        },
    )

    def __init__(self, *args, enrollment: Enrollment, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["privacy"].label = gettext(
            "Ho letto l'informativa sul trattamento dei dati personali per il servizio «%(service)s»."
        ) % {"service": enrollment.service.name}
        self.fields["privacy"].help_text = format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("accounts:privacy"),
            gettext("Leggi l'informativa (si apre in una nuova finestra)"),
        )
        if enrollment.diet != Enrollment.Diet.MEDICAL:
            del self.fields["health_consent"]
