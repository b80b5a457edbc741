"""Receipts (the daily report and its CSV), the raw receipt messages and the carts: read-only."""

import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.admin_mixins import ReadOnlyAdminMixin
from portal.csv_export import csv_response

from ..exports import receipts_daily_report_csv
from ..models import Cart, Receipt, ReceiptMessage
from ..selectors import receipts_daily_report
from .money import money_column

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class ReportDayForm(forms.Form):
    day = forms.DateField(label=_("Giorno del pagamento"), input_formats=DATE_INPUT_FORMATS)


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "receipt_id",
        "paid_at",
        "notice_number",
        "amount_euro",
        "fee_euro",
        "psp_name",
        "flagged",
        "flag_reason",
    ]
    list_filter = ["flagged", "notice__service_kind", "psp_name"]
    search_fields = ["=receipt_id", "=notice_number", "=iuv", "payer_fiscal_code", "notice__payer_fiscal_code"]
    search_help_text = _("Identificativo della ricevuta, codice avviso, IUV o codice fiscale di chi ha pagato.")
    date_hierarchy = "paid_at"
    fields = readonly_fields = (
        "receipt_id",
        "notice",
        "option",
        "message",
        "iuv",
        "notice_number",
        "creditor_fiscal_code",
        "amount_euro",
        "fee_euro",
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
    )
    change_list_template = "admin/payments/receipt/change_list.html"
    amount_euro = money_column("amount", _("importo"))
    fee_euro = money_column("fee", _("commissione"))

    def get_urls(self):
        return [
            path("resoconto/", self.admin_site.admin_view(self.report_view), name="payments_receipt_report"),
            path(
                "resoconto/csv/", self.admin_site.admin_view(self.report_csv_view), name="payments_receipt_report_csv"
            ),
            *super().get_urls(),
        ]

    def _report_day(self, request) -> tuple[ReportDayForm, datetime.date]:
        today = timezone.localdate()  # the office looks at today's takings first; any day can be chosen
        form = ReportDayForm(request.GET if "day" in request.GET else None, initial={"day": today})
        day = form.cleaned_data["day"] if form.is_bound and form.is_valid() else today
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
    list_display = [
        "received_at",
        "channel",
        "outcome",
        "authenticated",
        "refusal",
        "reason",
        "body_length",
        "remote_addr",
    ]
    list_filter = ["channel", "outcome", "authenticated", "refusal"]
    search_fields = ["reason", "body", "body_sha256", "remote_addr"]
    date_hierarchy = "received_at"
    readonly_fields = [
        "received_at",
        "channel",
        "outcome",
        "authenticated",
        "refusal",
        "reason",
        "remote_addr",
        "signature",
        "body_length",
        "body_sha256",
        "body",
    ]


@admin.register(Cart)
class CartAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["public_id", "user", "status", "created_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["=public_id", "user__codice_fiscale", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["public_id", "user", "notices", "status", "checkout_url", "created_at", "updated_at"]
