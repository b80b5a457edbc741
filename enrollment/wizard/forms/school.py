"""The wizard's school pages (school, class, residency) and the ISEE page.

The ISEE form parses what was typed ("12.345,67", a DSU protocol in lower case, a date as gg/mm/aaaa) and hands
the service a Decimal, the normalised protocol and a date.
"""

from __future__ import annotations

import datetime
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ... import selectors
from ...models import SchoolClass
from ...validators import parse_isee, validate_dsu_protocol
from .common import NO, YES, StepForm, no_control_characters, radio

# --- school, class, residency ----------------------------------------------------------------------------------


class SchoolChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} · {obj.address}" if obj.address else obj.name


class SchoolForm(StepForm):
    school = SchoolChoiceField(
        label=_("Scuola"),
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Scegli la scuola."),
            "invalid_choice": _("Il servizio non è attivo nella scuola indicata: scegli una delle scuole elencate."),
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["school"]).queryset = selectors.school_list(
            service=self.enrollment.service_id
        )

    def initial_from(self, enrollment):
        return {"school": enrollment.school_id}

    def data_for_update(self) -> dict:
        school = self.cleaned_data["school"]
        data = {"school": school}
        if school.pk != self.enrollment.school_id:
            data["school_class"] = None  # the class of another school no longer applies
        return data


class SchoolClassChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SchoolClass) -> str:
        return class_label(obj)


class ClassForm(StepForm):
    school_class: forms.ModelChoiceField[SchoolClass] = SchoolClassChoiceField(
        label=_("Classe o sezione"),
        queryset=None,
        empty_label="—",
        error_messages={
            "required": _("Scegli la classe o la sezione."),
            "invalid_choice": _("Questa classe non è della scuola scelta: scegli una delle classi elencate."),
        },
        help_text=_("Quella che il bambino frequenterà nell'anno scolastico dell'iscrizione."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["school_class"]).queryset = selectors.school_class_list(
            school=self.enrollment.school_id
        )

    def initial_from(self, enrollment):
        return {"school_class": enrollment.school_class_id}


def class_label(school_class: SchoolClass) -> str:
    """The class's name, and a nursery group's ages: "Lattanti (da 3 a 12 mesi)"."""
    low, high = school_class.min_age_months, school_class.max_age_months
    if low is None and high is None:
        return school_class.name
    if low is not None and high is not None:
        ages = gettext("da %(low)s a %(high)s mesi") % {"low": low, "high": high}
    elif low is not None:
        ages = gettext("da %(low)s mesi") % {"low": low}
    else:
        ages = gettext("fino a %(high)s mesi") % {"high": high}
    return f"{school_class.name} ({ages})"


class ResidencyForm(StepForm):
    resident = radio(
        [
            (YES, _("Sì, il bambino è residente nel Comune")),
            (NO, _("No, non è residente: si applica la tariffa per i non residenti")),
        ],
        _("Il bambino è residente nel Comune?"),
        error_messages={"required": _("Rispondi sì o no."), "invalid_choice": _("Rispondi sì o no.")},
    )

    def initial_from(self, enrollment):
        return {"resident": {True: YES, False: NO}.get(enrollment.resident)}

    def data_for_update(self) -> dict:
        return {"resident": self.cleaned_data["resident"] == YES}


# --- ISEE ------------------------------------------------------------------------------------------------------


class IseeForm(StepForm):
    presented = radio(
        [
            (YES, _("Presento l'ISEE")),
            (NO, _("Non presento l'ISEE: si applica la tariffa più alta")),
        ],
        _("Vuoi presentare l'ISEE?"),
        error_messages={
            "required": _("Scegli se presenti l'ISEE."),
            "invalid_choice": _("Scegli una delle due risposte."),
        },
    )
    amount = forms.CharField(
        label=_("Valore ISEE in euro"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("Come è scritto sull'attestazione, ad esempio 12.345,67."),
    )
    protocol = forms.CharField(
        label=_("Numero di protocollo della DSU"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
        help_text=_("In alto a destra sull'attestazione ISEE, ad esempio INPS-ISEE-2026-12345678A-00."),
    )
    expires_on = forms.DateField(
        label=_("Data di scadenza dell'ISEE"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Di solito il 31 dicembre dell'anno in cui hai presentato la DSU."),
        error_messages={"invalid": _("Scrivi la data come gg/mm/aaaa.")},
    )

    field_order = ["presented", "amount", "protocol", "expires_on"]

    @property
    def stored_hidden(self) -> bool:
        """An ISEE is stored that this adult may not see: it is not shown, and empty fields keep it."""
        return bool(self.enrollment.isee_presented) and not self.private_visible

    def initial_from(self, enrollment):
        if enrollment.isee_presented is None:
            return {}
        if not enrollment.isee_presented:
            return {"presented": NO}
        if not self.private_visible:
            return {"presented": YES}
        amount = enrollment.isee_amount
        return {
            "presented": YES,
            "amount": "" if amount is None else f"{amount:.2f}".replace(".", ","),
            "protocol": enrollment.isee_protocol,
            "expires_on": enrollment.isee_expires_on,
        }

    def clean_amount(self) -> str:
        return no_control_characters(self.cleaned_data["amount"].strip())

    def clean_protocol(self) -> str:
        return no_control_characters(self.cleaned_data["protocol"].strip())

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if data.get("presented") != YES:
            return data
        if self.keeps_stored:
            return data
        if "amount" in data:
            if not data["amount"]:
                self.add_error("amount", _("Scrivi il valore ISEE."))
            else:
                try:
                    data["isee_amount"] = parse_isee(data["amount"])
                except ValidationError as error:
                    self.add_error("amount", error)
        if "protocol" in data:
            try:
                data["protocol"] = validate_dsu_protocol(data["protocol"])
            except ValidationError as error:
                self.add_error("protocol", error)
        if "expires_on" in data:
            expires_on = data["expires_on"]
            today = timezone.localdate()
            if expires_on is None:
                self.add_error("expires_on", _("Scrivi la data di scadenza dell'ISEE."))
            elif expires_on.year < 2015:
                self.add_error("expires_on", _("Controlla la data: l'ISEE attuale esiste dal 2015."))
            elif expires_on > today + datetime.timedelta(days=2 * 366):
                self.add_error("expires_on", _("Controlla la data: un ISEE non vale più di un anno."))
        return data

    @property
    def keeps_stored(self) -> bool:
        """Nothing typed over an ISEE this adult may not see: the stored one stays as it is."""
        data = self.cleaned_data
        return (
            self.stored_hidden
            and data.get("presented") == YES
            and not any(data.get(name) for name in ("amount", "protocol", "expires_on"))
            and not any(name in self.errors for name in ("amount", "protocol", "expires_on"))
        )

    @property
    def is_expired(self) -> bool:
        expires_on = self.cleaned_data.get("expires_on")
        return (
            self.cleaned_data.get("presented") == YES and expires_on is not None and expires_on < timezone.localdate()
        )

    def data_for_update(self) -> dict:
        if self.cleaned_data["presented"] == NO:
            return {"isee_presented": False, "isee_amount": None, "isee_protocol": "", "isee_expires_on": None}
        if self.keeps_stored:
            return {"isee_presented": True}
        return {
            "isee_presented": True,
            "isee_amount": self.cleaned_data["isee_amount"],
            "isee_protocol": self.cleaned_data["protocol"],
            "isee_expires_on": self.cleaned_data["expires_on"],
        }


def isee_expired_warning(expires_on: datetime.date) -> str:
    return gettext(
        "L'ISEE è scaduto il %(date)s: la tariffa sarà calcolata come senza ISEE (la più alta), a meno che "
        "l'ufficio scuola non lo accetti. Se hai un ISEE più recente, inserisci quello."
    ) % {"date": date_format(expires_on, "d/m/Y")}
