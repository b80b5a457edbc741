"""The kitchens' access codes and their calls, end-of-year requests, balance reminders."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from payments.admin.money import money_column
from portal.admin_mixins import ReadOnlyAdminMixin
from portal.errors import DomainError

from .. import services
from ..models import (
    BalanceAlert,
    KitchenApiCall,
    KitchenToken,
    YearEndRequest,
)
from ..services.kitchen import kitchen_token_issue, kitchen_token_revoke


class KitchenTokenForm(forms.ModelForm):
    class Meta:
        model = KitchenToken
        fields = ["school", "name"]


@admin.register(KitchenToken)
class KitchenTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "school", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["school"]
    actions = ["revoke"]
    form = KitchenTokenForm

    def get_readonly_fields(self, request, obj=None):
        return ["school", "name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        row, token = kitchen_token_issue(
            school=form.cleaned_data["school"], name=form.cleaned_data["name"], actor=request.user
        )
        obj.pk = row.pk
        messages.warning(
            request,
            format_html(
                "{} <code>{}</code>",
                gettext("Copia ora il codice e consegnalo alla cucina: non sarà più mostrato."),
                token,
            ),
        )

    @admin.action(description=_("Revoca i codici scelti"))
    def revoke(self, request, queryset):
        for token in queryset:
            kitchen_token_revoke(token=token)
        messages.success(request, gettext("Codici revocati."))


@admin.register(KitchenApiCall)
class KitchenApiCallAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "token", "status_code", "rows", "row_errors", "detail", "remote_addr"]
    list_filter = ["status_code", "token__school"]
    list_select_related = ["token"]


@admin.register(YearEndRequest)
class YearEndRequestAdmin(admin.ModelAdmin):
    list_display = ["requested_at", "child", "kind", "amount_euro", "iban", "to_child", "status", "decided_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["child", "to_child"]
    search_fields = ["=child__codice_fiscale", "child__last_name"]
    actions = ["approve", "reject"]
    fields = [
        "child",
        "kind",
        "amount",
        "iban",
        "account_holder",
        "to_child",
        "status",
        "office_note",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
    ]
    amount_euro = money_column("amount", _("importo"))

    def get_readonly_fields(self, request, obj=None):
        return [name for name in self.fields if name != "office_note"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, *, approve: bool) -> None:
        done = 0
        for row in queryset:
            try:
                services.year_end_decide(request=row, approve=approve, actor=request.user, note=row.office_note)
                done += 1
            except DomainError as error:
                messages.error(request, f"{row.child}: {error}")
        if done:
            messages.success(request, gettext("Richieste decise: %(n)s.") % {"n": done})

    @admin.action(description=_("Approva (esegue il rimborso o il trasferimento)"), permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Respingi (serve la nota dell'ufficio)"), permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, approve=False)


@admin.register(BalanceAlert)
class BalanceAlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["since", "child", "kind", "balance_euro", "sent_at", "notice", "cleared_at"]
    list_filter = ["kind", ("cleared_at", admin.EmptyFieldListFilter)]
    list_select_related = ["child", "notice"]
    search_fields = ["=child__codice_fiscale", "child__last_name"]
    balance_euro = money_column("balance", _("saldo"))
