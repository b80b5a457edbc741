"""The office's view of payments: notices (cancel with a reason), receipts (daily report, CSV), the raw receipt
messages, the ledger (read-only) and balances (adjustments with a reason, through the ledger service).

Nothing here writes a payment row itself: every action calls a service.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Child
from accounts.validators import normalize_codice_fiscale
from enrollment.models import ServiceKind
from portal.admin_mixins import ReadOnlyAdminMixin
from portal.csv_export import csv_response
from portal.errors import DomainError
from portal.money import AmountFormatError, parse_euro

from . import pagopa, services
from .exports import receipts_daily_report_csv
from .models import (
    Balance,
    Cart,
    LedgerEntry,
    PaymentNotice,
    PaymentNoticeEvent,
    PaymentOption,
    Receipt,
    ReceiptMessage,
)
from .selectors import receipts_daily_report

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


# --- notices -----------------------------------------------------------------------------------------------------


class PaymentOptionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PaymentOption
    extra = 0
    fields = ["instalment", "notice_number_printed", "iuv", "amount", "due_date", "paid_at"]
    readonly_fields = fields
    verbose_name_plural = _("opzioni di pagamento (0 = unica soluzione)")

    @admin.display(description=_("codice avviso"))
    def notice_number_printed(self, option: PaymentOption) -> str:
        return pagopa.notice_number_grouped(option.notice_number)


class ReceiptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Receipt
    extra = 0
    fields = ["receipt_id", "paid_at", "amount", "fee", "psp_name", "flagged", "flag_reason"]
    readonly_fields = fields
    show_change_link = True


class PaymentNoticeEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The notice's life, oldest first: who or what did what, when and why."""

    model = PaymentNoticeEvent
    extra = 0
    fields = ["at", "action", "from_status", "to_status", "actor_kind", "actor", "reason"]
    readonly_fields = fields
    ordering = ["at", "pk"]
    verbose_name_plural = _("registro dell'avviso")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class NoticeCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Motivo dell'annullamento"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Resta nel registro dell'avviso e, per le rette, nel movimento che storna l'addebito."),
    )


@admin.register(PaymentNotice)
class PaymentNoticeAdmin(admin.ModelAdmin):
    list_display = [
        "causale",
        "child",
        "service_kind",
        "purpose",
        "amount",
        "due_date",
        "status",
        "platform_state",
        "flagged",
        "payer_fiscal_code",
    ]
    list_filter = ["status", "service_kind", "flagged", "purpose", "platform_state"]
    search_fields = [
        "payer_fiscal_code",
        "payer_name",
        "child__codice_fiscale",
        "child__last_name",
        "=options__notice_number",
        "=options__iuv",
        "=iupd",
        "causale",
    ]
    search_help_text = _("Codice fiscale (pagatore o bambino), cognome del bambino, codice avviso, IUV o causale.")
    list_select_related = ["child"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    inlines = [PaymentOptionInline, ReceiptInline, PaymentNoticeEventInline]
    actions = ["cancel_notices"]
    fieldsets = [
        (None, {"fields": ["causale", "amount", "due_date", "status", "flagged", "purpose", "service_kind"]}),
        (_("Chi"), {"fields": ["child", "enrollment", "payer", "payer_fiscal_code", "payer_name"]}),
        (_("pagoPA"), {"fields": ["iupd", "platform_state", "platform_error", "pdf"]}),
        (
            _("Registro"),
            {"fields": ["created_by", "created_at", "paid_at", "closed_at", "closed_by", "closed_reason"]},
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False  # notices come from top-ups, enrollments and the services, never typed in here

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # read-only page; the cancel action needs its own permission (below)

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("payments.change_paymentnotice")

    def get_search_results(self, request, queryset, search_term):
        """A codice avviso typed with spaces ("3010 0000 …") is found too."""
        compact = pagopa.notice_number_normalise(search_term)
        if compact.isdigit() and len(compact) in (17, 18):
            matches = queryset.filter(options__notice_number=compact) | queryset.filter(options__iuv=compact)
            return matches.distinct(), True
        return super().get_search_results(request, queryset, search_term)

    @admin.action(description=_("Annulla avviso (chiede il motivo)"), permissions=["cancel"])
    def cancel_notices(self, request: HttpRequest, queryset):
        form = NoticeCancelForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done, refused = 0, []
            for notice in queryset.order_by("pk"):
                try:
                    services.notice_cancel(notice_id=notice.pk, actor=request.user, reason=form.cleaned_data["reason"])
                except DomainError as error:
                    refused.append(f"«{notice.causale}»: {error}")
                else:
                    done += 1
            if done:
                self.message_user(
                    request,
                    ngettext("%(count)d avviso annullato.", "%(count)d avvisi annullati.", done) % {"count": done},
                    messages.SUCCESS,
                )
            for line in refused:
                self.message_user(request, gettext("Non annullato: %(why)s") % {"why": line}, messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Annulla avvisi di pagamento"),
            "opts": self.model._meta,
            "form": form,
            "notices": queryset.select_related("child").order_by("pk"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "action": "cancel_notices",
        }
        return TemplateResponse(request, "admin/payments/paymentnotice/cancel.html", context)


# --- receipts and the daily report -------------------------------------------------------------------------------


class ReportDayForm(forms.Form):
    day = forms.DateField(label=_("Giorno del pagamento"), input_formats=DATE_INPUT_FORMATS)


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["receipt_id", "paid_at", "notice_number", "amount", "fee", "psp_name", "flagged", "flag_reason"]
    list_filter = ["flagged", "notice__service_kind", "psp_name"]
    search_fields = ["=receipt_id", "=notice_number", "=iuv", "payer_fiscal_code", "notice__payer_fiscal_code"]
    search_help_text = _("Identificativo della ricevuta, codice avviso, IUV o codice fiscale di chi ha pagato.")
    date_hierarchy = "paid_at"
    readonly_fields = [
        "receipt_id",
        "notice",
        "option",
        "message",
        "iuv",
        "notice_number",
        "creditor_fiscal_code",
        "amount",
        "fee",
        "psp_id",
        "psp_name",
        "payment_method",
        "payer_fiscal_code",
        "payer_name",
        "paid_at",
        "received_at",
        "flagged",
        "flag_reason",
        "pdf",
    ]
    change_list_template = "admin/payments/receipt/change_list.html"

    def get_urls(self):
        return [
            path("resoconto/", self.admin_site.admin_view(self.report_view), name="payments_receipt_report"),
            path(
                "resoconto/csv/", self.admin_site.admin_view(self.report_csv_view), name="payments_receipt_report_csv"
            ),
            *super().get_urls(),
        ]

    def _report_day(self, request) -> tuple[ReportDayForm, datetime.date]:
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        form = ReportDayForm(request.GET if "day" in request.GET else None, initial={"day": yesterday})
        day = form.cleaned_data["day"] if form.is_bound and form.is_valid() else yesterday
        return form, day

    def report_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form, day = self._report_day(request)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Resoconto giornaliero delle ricevute"),
            "opts": self.model._meta,
            "form": form,
            "report": receipts_daily_report(day=day),
            "csv_url": f"{reverse('admin:payments_receipt_report_csv')}?day={day:%Y-%m-%d}",
        }
        return TemplateResponse(request, "admin/payments/receipt/report.html", context)

    def report_csv_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        _form, day = self._report_day(request)
        return csv_response(receipts_daily_report_csv(day=day))


@admin.register(ReceiptMessage)
class ReceiptMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "outcome", "reason", "remote_addr"]
    list_filter = ["outcome"]
    search_fields = ["reason", "body"]
    date_hierarchy = "received_at"
    readonly_fields = ["received_at", "outcome", "reason", "remote_addr", "signature", "body"]


@admin.register(Cart)
class CartAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["public_id", "user", "status", "created_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["=public_id", "user__codice_fiscale", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["public_id", "user", "notices", "status", "checkout_url", "created_at", "updated_at"]


# --- ledger and balances -----------------------------------------------------------------------------------------


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "child", "service_kind", "kind", "amount", "reason", "notice", "created_by"]
    list_filter = ["kind", "service_kind"]
    search_fields = ["child__codice_fiscale", "child__last_name", "reference", "reason", "=receipt__receipt_id"]
    list_select_related = ["child", "notice", "created_by"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "child",
        "service_kind",
        "kind",
        "amount",
        "notice",
        "receipt",
        "reference",
        "reason",
        "created_by",
        "created_at",
    ]


class AdjustmentForm(forms.Form):
    CREDIT, DEBIT = "credit", "debit"

    child_codice_fiscale = forms.CharField(label=_("Codice fiscale del bambino"), max_length=30)
    service_kind = forms.ChoiceField(label=_("Servizio"), choices=ServiceKind.choices)
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


@admin.register(Balance)
class BalanceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["child", "service_kind", "amount", "updated_at", "adjust_link"]
    list_filter = ["service_kind"]
    search_fields = ["child__codice_fiscale", "child__last_name", "child__first_name"]
    list_select_related = ["child"]
    readonly_fields = ["child", "service_kind", "amount", "updated_at"]
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
                    gettext("Rettifica di %(amount)s € registrata per %(child)s.")
                    % {"amount": entry.amount, "child": f"{child.first_name} {child.last_name}"},
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
