"""Input of the parent's payment pages: what to top up, which notices to pay together."""

from decimal import Decimal
from typing import cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.selectors import children_for_user
from enrollment.models import ServiceKind, prepaid_kind_choices
from portal.converters import ID_MAX
from portal.money import AmountFormatError, euro_format, parse_euro


def euro(amount: Decimal) -> str:
    """'1.234,50 €' in the active language (for messages built in Python): portal.money.euro_format."""
    return euro_format(amount, space=" ")


class ChildChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.first_name} {obj.last_name}"


class TopupForm(forms.Form):
    """A top-up of a child's prepaid account for one service: child, service, amount typed as people do."""

    child = ChildChoiceField(
        label=_("Per chi"),
        queryset=None,
        empty_label=_("Scegli il bambino o la bambina"),
        error_messages={
            "invalid_choice": _("Scegli uno dei tuoi figli."),
            "required": _("Scegli per chi ricaricare."),
        },
    )
    service_kind = forms.ChoiceField(
        label=_("Servizio"),
        choices=ServiceKind.choices,  # offered: the prepaid ones (below); the service refuses the others, saying why
        error_messages={"invalid_choice": _("Scegli uno dei servizi."), "required": _("Scegli il servizio.")},
    )
    amount = forms.CharField(
        label=_("Importo in euro"),
        max_length=20,
        error_messages={"required": _("Inserisci un importo.")},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        children = children_for_user(user=user).order_by("birth_date", "first_name").distinct()
        cast(forms.ModelChoiceField, self.fields["child"]).queryset = children
        # Only a prepaid service has a balance to top up (ServiceKind.prepaid): the others are not offered.
        self.fields["service_kind"].widget.choices = prepaid_kind_choices()
        if len(children) == 1 and not self.is_bound:
            self.initial.setdefault("child", children[0].pk)
        self.fields["amount"].help_text = _("Ad esempio 25 oppure 12,50. Al massimo %(max)s.") % {
            "max": euro(settings.PAYMENTS_TOPUP_MAX)
        }

    def clean_amount(self) -> Decimal:
        try:
            amount = parse_euro(self.cleaned_data["amount"])
        except AmountFormatError as error:
            raise forms.ValidationError(str(error), code="format") from error
        if amount <= 0:
            raise forms.ValidationError(_("L'importo deve essere maggiore di zero."), code="zero")
        if amount > settings.PAYMENTS_TOPUP_MAX:
            raise forms.ValidationError(
                _("Una ricarica può essere al massimo di %(max)s.") % {"max": euro(settings.PAYMENTS_TOPUP_MAX)},
                code="max",
            )
        return amount


class CartForm(forms.Form):
    """The notices ticked on the payments page, 1 to PAYMENTS_CART_MAX; the service checks they can be paid."""

    notice = forms.Field(required=False, widget=forms.MultipleHiddenInput)

    def clean_notice(self) -> list[int]:
        raw = self.cleaned_data.get("notice") or []
        try:
            ids = sorted({int(value) for value in raw})
            if any(not 0 < pk <= ID_MAX for pk in ids):  # not an id the database could hold
                raise ValueError
        except (TypeError, ValueError):
            raise forms.ValidationError(
                _("Selezione non valida: ricarica la pagina e riprova."), code="invalid"
            ) from None
        if not ids:
            raise forms.ValidationError(_("Scegli almeno un avviso da pagare."), code="empty")
        limit = settings.PAYMENTS_CART_MAX
        if len(ids) > limit:
            raise forms.ValidationError(
                ngettext(
                    "Puoi pagare online al massimo %(max)d avviso alla volta: ne hai scelti %(n)d.",
                    "Puoi pagare online al massimo %(max)d avvisi alla volta: ne hai scelti %(n)d.",
                    limit,
                )
                % {"max": limit, "n": len(ids)},
                code="too_many",
            )
        return ids

    def options(self) -> dict[int, int]:
        """notice id → the payment option the parent chose for it (radio "option-<notice id>": the whole amount or
        the next instalment); the service checks that it is one of the notice's payable options."""
        chosen = {}
        for key in self.data:
            if key.startswith("option-") and key[7:].isdigit():
                value = str(self.data.get(key, ""))
                if value.isdigit() and 0 < int(value) <= ID_MAX and 0 < int(key[7:]) <= ID_MAX:
                    chosen[int(key[7:])] = int(value)
        return chosen

    def selected(self) -> set[int]:
        """What the parent ticked, valid or not, to tick it again when the page is shown with an error."""
        values = self.data.getlist("notice") if hasattr(self.data, "getlist") else []
        return {int(value) for value in values if str(value).isdigit()}
