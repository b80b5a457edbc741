"""The ledger (read-only) and balances, with adjustments through the ledger service (always with a reason)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Child
from accounts.validators import normalize_codice_fiscale
from enrollment.models import prepaid_kind_choices
from portal.admin_mixins import ReadOnlyAdminMixin
from portal.errors import DomainError
from portal.money import AmountFormatError, euro_format, parse_euro

from .. import services
from ..models import Balance, LedgerEntry
from .money import money_column

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "child", "service_kind", "kind", "amount_euro", "reason", "notice", "created_by"]
    list_filter = ["kind", "service_kind"]
    search_fields = ["child__codice_fiscale", "child__last_name", "reference", "reason", "=receipt__receipt_id"]
    list_select_related = ["child", "notice", "created_by"]
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "child",
        "service_kind",
        "kind",
        "amount_euro",
        "notice",
        "receipt",
        "reference",
        "reason",
        "created_by",
        "created_at",
    )
    amount_euro = money_column("amount", _("importo"))


class AdjustmentForm(forms.Form):
    CREDIT, DEBIT = "credit", "debit"

    child_codice_fiscale = forms.CharField(label=_("Codice fiscale del bambino"), max_length=30)
    # Only a prepaid service has a balance (ServiceKind.prepaid): one billed by notice is corrected by its notices.
    service_kind = forms.ChoiceField(
        label=_("Servizio"),
        choices=prepaid_kind_choices,
        error_messages={
            "invalid_choice": _("Solo la mensa ha un saldo: trasporto e nido si correggono con i loro avvisi.")
        },
    )
    direction = forms.ChoiceField(
        label=_("Tipo"),
        choices=[(CREDIT, _("Accredito (aumenta il saldo)")), (DEBIT, _("Addebito (diminuisce il saldo)"))],
        widget=forms.RadioSelect,
    )
    amount = forms.CharField(label=_("Importo (€)"), max_length=20, help_text=_("Ad esempio 12,50"))
    reason = forms.CharField(
        label=_("Motivo"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obbligatorio: resta nel movimento, che non si può modificare né cancellare."),
    )

    def clean_child_codice_fiscale(self) -> Child:
        code = normalize_codice_fiscale(self.cleaned_data["child_codice_fiscale"])
        child = Child.objects.filter(codice_fiscale=code).first()
        if child is None:
            raise ValidationError(_("Nessun bambino con questo codice fiscale."), code="unknown")
        return child

    def clean_amount(self):
        try:
            value = parse_euro(self.cleaned_data["amount"])
        except AmountFormatError as error:
            raise ValidationError(str(error), code="format") from error
        if value <= 0:
            raise ValidationError(_("L'importo deve essere maggiore di zero."), code="zero")
        return value

    def signed_amount(self):
        amount = self.cleaned_data["amount"]
        return amount if self.cleaned_data["direction"] == self.CREDIT else -amount


class BalanceSignFilter(admin.SimpleListFilter):
    """The balances the office chases first: negative (a debt), then zero or in credit."""

    title = _("saldo")
    parameter_name = "segno"

    def lookups(self, request, model_admin):
        return [("negativo", _("negativo")), ("zero", _("a zero")), ("positivo", _("positivo"))]

    def queryset(self, request, queryset):
        condition = {"negativo": "amount__lt", "zero": "amount", "positivo": "amount__gt"}.get(self.value() or "")
        return queryset.filter(**{condition: 0}) if condition else queryset


@admin.register(Balance)
class BalanceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["child", "service_kind", "amount_euro", "updated_at", "adjust_link"]
    list_filter = [BalanceSignFilter, "service_kind"]
    search_fields = ["child__codice_fiscale", "child__last_name", "child__first_name"]
    list_select_related = ["child"]
    fields = readonly_fields = ("child", "service_kind", "amount_euro", "updated_at")
    amount_euro = money_column("amount", _("saldo"))
    change_list_template = "admin/payments/balance/change_list.html"

    def has_adjust_permission(self, request) -> bool:
        return request.user.has_perm("payments.add_ledgerentry")

    @admin.display(description=_("rettifica"))
    def adjust_link(self, balance: Balance) -> str:
        url = reverse("admin:payments_balance_adjust")
        return format_html(
            '<a href="{}?child={}&amp;service={}">{}</a>',
            url,
            balance.child.codice_fiscale,
            balance.service_kind,
            gettext("Rettifica"),
        )

    def get_urls(self):
        return [
            path("rettifica/", self.admin_site.admin_view(self.adjust_view), name="payments_balance_adjust"),
            *super().get_urls(),
        ]

    def adjust_view(self, request):
        if not self.has_adjust_permission(request):
            raise PermissionDenied
        initial = {"child_codice_fiscale": request.GET.get("child", ""), "service_kind": request.GET.get("service")}
        form = AdjustmentForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            child = form.cleaned_data["child_codice_fiscale"]
            try:
                entry = services.ledger_adjust(
                    child=child,
                    service_kind=form.cleaned_data["service_kind"],
                    amount=form.signed_amount(),
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request,
                    gettext("Rettifica di %(amount)s registrata per %(child)s.")
                    % {"amount": euro_format(entry.amount), "child": f"{child.first_name} {child.last_name}"},
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:payments_balance_changelist"))
        balance = None
        if form.is_bound and "child_codice_fiscale" in form.cleaned_data:
            balance = Balance.objects.filter(
                child=form.cleaned_data["child_codice_fiscale"], service_kind=request.POST.get("service_kind")
            ).first()
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Rettifica del saldo"),
            "opts": self.model._meta,
            "form": form,
            "balance": balance,
        }
        return TemplateResponse(request, "admin/payments/balance/adjust.html", context)
