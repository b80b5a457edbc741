"""The school staff's form for a payment event: what to ask, how much, by when, from whom."""

import datetime
from decimal import Decimal
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import AmountError
from .models import EventKind, SchoolPaymentEvent
from .services.validation import amount_check

Target = SchoolPaymentEvent.Target


class SchoolEventForm(forms.Form):
    title = forms.CharField(
        label=_("Titolo"),
        max_length=100,
        help_text=_("Lo leggono le famiglie, ad esempio «Uscita al museo di scienze»."),
        error_messages={"required": _("Scrivi il titolo dell'evento.")},
    )
    kind = forms.ChoiceField(
        label=_("Tipo di pagamento"),
        choices=EventKind.choices,
        error_messages={"required": _("Scegli il tipo di pagamento."), "invalid_choice": _("Scegli il tipo.")},
    )
    amount = forms.CharField(
        label=_("Importo (€)"),
        max_length=12,
        help_text=_("Per alunno, o per famiglia se scegli «un avviso per famiglia». Ad esempio 12,50."),
        error_messages={"required": _("Scrivi l'importo.")},
    )
    per_family = forms.BooleanField(
        label=_("Un avviso per famiglia (solo per il contributo volontario)"), required=False
    )
    voluntary = forms.BooleanField(
        label=_("Pagamento volontario"),
        required=False,
        help_text=_("Il contributo volontario lo è sempre: le famiglie possono non pagarlo e non ricevono solleciti."),
    )
    free_amount = forms.BooleanField(
        label=_("Le famiglie possono versare un importo diverso (solo per il contributo volontario)"), required=False
    )
    due_date = forms.DateField(
        label=_("Scadenza"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"required": _("Indica la scadenza."), "invalid": _("Scrivi la data come gg/mm/aaaa.")},
    )
    target = forms.ChoiceField(
        label=_("Per chi"),
        choices=Target.choices,
        initial=Target.SCHOOL,
        widget=forms.RadioSelect,
        error_messages={"required": _("Scegli a chi è rivolto l'evento.")},
    )
    classes = forms.TypedMultipleChoiceField(
        label=_("Classi"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    children = forms.TypedMultipleChoiceField(
        label=_("Alunni"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=_("Nota per le famiglie (facoltativa)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, classes: list, pupils: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["classes"]).choices = [(c.pk, c.name) for c in classes]
        cast(forms.ChoiceField, self.fields["children"]).choices = [
            (p.child.pk, f"{p.child.last_name} {p.child.first_name}" + (f" ({p.class_name})" if p.class_name else ""))
            for p in pupils
        ]
        self.fields["classes"].error_messages["invalid_choice"] = _("Una delle classi scelte non è di questa scuola.")
        self.fields["children"].error_messages["invalid_choice"] = _(
            "Uno degli alunni scelti non è iscritto a questa scuola."
        )

    def clean_amount(self) -> Decimal:
        try:
            return amount_check(self.cleaned_data["amount"])
        except AmountError as error:
            raise forms.ValidationError(str(error)) from error

    def clean_due_date(self) -> datetime.date:
        value = self.cleaned_data["due_date"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("La scadenza non può essere nel passato."))
        return value


class SchoolEventCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Motivo dell'annullamento"),
        max_length=200,
        help_text=_("Lo ricevono per e-mail le famiglie che non hanno ancora pagato."),
        error_messages={"required": _("Scrivi il motivo dell'annullamento.")},
    )
