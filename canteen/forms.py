"""The parents' forms on the meals page: cancel days (chosen, or a range), the low-balance threshold, the
end-of-year request; and the school's attendance upload."""

import datetime
from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MealCancellation, YearEndRequest

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class CancelForm(forms.Form):
    ACTIONS = [("cancel", _("Disdici")), ("withdraw", _("Ripristina il pasto"))]

    days = forms.TypedMultipleChoiceField(
        label=_("Giorni"), required=False, coerce=datetime.date.fromisoformat, choices=()
    )
    first = forms.DateField(label=_("Dal"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("Al"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(
        label=_("Richiesta"),
        choices=MealCancellation.Kind.choices,
        initial=MealCancellation.Kind.CANCEL,
        widget=forms.RadioSelect,
    )
    action = forms.ChoiceField(choices=ACTIONS, initial="cancel", widget=forms.HiddenInput)

    def __init__(self, *args, day_choices: Sequence[datetime.date] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].choices = [  # type: ignore[attr-defined]
            (day.isoformat(), f"{day:%d/%m/%Y}") for day in day_choices
        ]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if not data.get("days") and not (data.get("first")):
            raise forms.ValidationError(_("Scegli i giorni, oppure scrivi il primo e l'ultimo giorno."))
        if data.get("first") and not data.get("last"):
            data["last"] = data["first"]
        return data


class ThresholdForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Avvisami quando il credito scende sotto (euro)"),
        required=False,
        min_value=0,
        max_value=500,
        decimal_places=2,
        localize=True,
        help_text=_("Lascia vuoto per usare la soglia dell'ufficio."),
    )


class YearEndForm(forms.Form):
    kind = forms.ChoiceField(label=_("Cosa chiedi"), choices=YearEndRequest.Kind.choices, widget=forms.RadioSelect)
    amount = forms.DecimalField(label=_("Importo (euro)"), min_value=0, decimal_places=2, localize=True)
    iban = forms.CharField(label=_("IBAN (solo per il rimborso)"), required=False, max_length=40)
    account_holder = forms.CharField(label=_("Intestatario del conto (se non sei tu)"), required=False, max_length=140)
    to_child = forms.TypedChoiceField(
        label=_("A favore di (solo per il trasferimento)"), required=False, coerce=int, empty_value=None, choices=()
    )

    def __init__(self, *args, siblings=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_child"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *[(c.pk, f"{c.first_name} {c.last_name}") for c in siblings],
        ]


class AttendanceUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File delle presenze (CSV)"),
        help_text=_(
            "Colonne: codice fiscale; data (gg/mm/aaaa); presente o assente; tipo di pasto (normale, dieta speciale, "
            "in bianco). Separate da punto e virgola, come le salva Excel."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Il file è troppo grande (al massimo 5 MB)."))
        return upload
