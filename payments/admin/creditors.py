"""The office enables a school (istituto) as a creditor of its own: fiscal code and IBAN checked, the segregation
code of the portal's station for it, one pagoPA taxonomy code per kind of payment, the schools it collects for.
The events its staff created are listed read-only."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.admin_mixins import ReadOnlyAdminMixin

from ..models import Creditor, CreditorSchool, EventKind, SchoolPaymentEvent
from ..pagopa import CREDITOR_TAXONOMY_PATTERN, entity_fiscal_code_valid, iban_valid


def _taxonomy_field(kind: str) -> str:
    return f"taxonomy_{kind}"


class CreditorForm(forms.ModelForm):
    class Meta:
        model = Creditor
        fields = ["name", "fiscal_code", "office", "iban", "segregation_code"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        codes = self.instance.taxonomy or {}
        for value, label in EventKind.choices:
            self.fields[_taxonomy_field(value)] = forms.CharField(
                label=_("Tassonomia: %(kind)s") % {"kind": label},
                required=False,
                max_length=20,
                initial=codes.get(value, ""),
                help_text=_("9/nnnnnnnXX/ dalla tassonomia pagoPA; vuoto: la scuola non può chiedere questo tipo."),
            )

    def clean_fiscal_code(self) -> str:
        code = (self.cleaned_data.get("fiscal_code") or "").strip()
        if not entity_fiscal_code_valid(code):
            raise forms.ValidationError(
                _("Il codice fiscale dell'ente deve avere 11 cifre con la cifra di controllo giusta.")
            )
        return code

    def clean_iban(self) -> str:
        iban = "".join((self.cleaned_data.get("iban") or "").split()).upper()
        if not iban_valid(iban):
            raise forms.ValidationError(_("IBAN non valido: controlla le cifre (il codice di controllo non torna)."))
        return iban

    def clean_segregation_code(self) -> int:
        code = self.cleaned_data.get("segregation_code")
        if code is None or not 0 <= code <= 99:
            raise forms.ValidationError(_("Il codice di segregazione ha due cifre (00-99)."))
        return code

    def clean(self) -> dict:
        data = super().clean() or {}
        taxonomy = {}
        for value, _label in EventKind.choices:
            code = (data.get(_taxonomy_field(value)) or "").strip()
            if code and not CREDITOR_TAXONOMY_PATTERN.match(code):
                self.add_error(_taxonomy_field(value), _("Scrivi il codice come 9/0201133IM/."))
            elif code:
                taxonomy[value] = code
        self.instance.taxonomy = taxonomy
        return data


class CreditorSchoolInline(admin.TabularInline):
    model = CreditorSchool
    extra = 1
    autocomplete_fields = ["school"]
    verbose_name = _("scuola (plesso) per cui incassa")
    verbose_name_plural = _("scuole (plessi) per cui incassa")


@admin.register(Creditor)
class CreditorAdmin(admin.ModelAdmin):
    form = CreditorForm
    list_display = ["name", "fiscal_code", "segregation_code"]
    search_fields = ["name", "fiscal_code"]
    inlines = [CreditorSchoolInline]

    def get_fieldsets(self, request, obj=None):
        taxonomy = [_taxonomy_field(value) for value in EventKind.values]
        return [
            (None, {"fields": ["name", "fiscal_code", "office", "iban", "segregation_code"]}),
            (_("Codici di tassonomia per tipo di pagamento"), {"fields": taxonomy}),
        ]


@admin.register(SchoolPaymentEvent)
class SchoolPaymentEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "school", "kind", "amount", "due_date", "status", "issued", "planned"]
    list_filter = ["status", "kind", "voluntary"]
    search_fields = ["title", "school__name"]
    list_select_related = ["school"]
