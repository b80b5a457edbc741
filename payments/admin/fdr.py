"""Reconciliation for the ragioneria (read-only): the flows read from the platform with their lines by outcome, the
CSV of each bank transfer, the day's totals per PSP and per service, and the receipts no flow reported in time."""

import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.admin_mixins import ReadOnlyAdminMixin
from portal.csv_export import csv_response

from ..models import FdrFlow, FdrLine
from ..reconciliation import fdr_day_totals, receipts_unreported, regulation_export
from .money import money_column

Outcome = FdrLine.Outcome
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
UNREPORTED_SHOWN = 500


class RegulationDayForm(forms.Form):
    day = forms.DateField(label=_("Giorno del regolamento"), input_formats=DATE_INPUT_FORMATS)


@admin.register(FdrFlow)
class FdrFlowAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["fdr", "regulation_date", "sum_euro", "matched_lines", "problem_lines", "csv_link"]
    list_filter = ["regulation_date", "psp_name", "foreign", "complete"]
    search_fields = ["=fdr", "regulation", "=lines__iuv", "=lines__iur"]
    search_help_text = _("Identificativo del flusso o del regolamento, IUV o IUR di un pagamento.")
    date_hierarchy = "regulation_date"
    fields = readonly_fields = (
        "fdr",
        "psp_id",
        "psp_name",
        "revision",
        "organization_id",
        "foreign",
        "flow_date",
        "published_at",
        "regulation",
        "regulation_date",
        "bic",
        "tot_payments",
        "sum_euro",
        "complete",
        "imported_at",
        "lines_by_outcome",
    )
    change_list_template = "admin/payments/fdrflow/change_list.html"
    sum_euro = money_column("sum_payments", _("importo dichiarato"))

    def get_queryset(self, request):
        problems = ~Q(lines__outcome=Outcome.MATCHED)
        return (
            super()
            .get_queryset(request)
            .annotate(
                matched=Count("lines", filter=Q(lines__outcome=Outcome.MATCHED)),
                problems=Count("lines", filter=problems),
            )
        )

    @admin.display(description=_("abbinati"), ordering="matched")
    def matched_lines(self, flow: FdrFlow) -> int:
        return getattr(flow, "matched", 0)

    @admin.display(description=_("da verificare"), ordering="problems")
    def problem_lines(self, flow: FdrFlow) -> str:
        problems = getattr(flow, "problems", 0)
        if not problems:
            return "0"
        url = reverse("admin:payments_fdrline_changelist") + f"?flow__id__exact={flow.pk}"
        return format_html('<a href="{}">{}</a>', url, problems)

    @admin.display(description=_("CSV"))
    def csv_link(self, flow: FdrFlow) -> str:
        url = reverse("admin:payments_fdrflow_csv", args=[flow.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Riversamento"))

    @admin.display(description=_("righe per abbinamento"))
    def lines_by_outcome(self, flow: FdrFlow) -> str:
        labels = dict(Outcome.choices)
        counts = flow.lines.values_list("outcome").annotate(n=Count("pk")).order_by("outcome")
        base = reverse("admin:payments_fdrline_changelist")
        return format_html(
            "<br>".join(
                f'<a href="{base}?flow__id__exact={flow.pk}&amp;outcome__exact={outcome}">{labels[outcome]}</a>: {n}'
                for outcome, n in counts
            )
            or gettext("nessuna riga")
        )

    def get_urls(self):
        return [
            path("<int:flow_id>/csv/", self.admin_site.admin_view(self.csv_view), name="payments_fdrflow_csv"),
            path("totali/", self.admin_site.admin_view(self.totals_view), name="payments_fdrflow_totals"),
            path(
                "non-rendicontate/",
                self.admin_site.admin_view(self.unreported_view),
                name="payments_fdrflow_unreported",
            ),
            *super().get_urls(),
        ]

    def _page(self, request, *, title: str, template: str, **extra):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "title": title, "opts": self.model._meta, **extra}
        return TemplateResponse(request, f"admin/payments/fdrflow/{template}", context)

    def csv_view(self, request, flow_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return csv_response(regulation_export(flow=get_object_or_404(FdrFlow, pk=flow_id)))

    def totals_view(self, request):
        default = timezone.localdate() - datetime.timedelta(days=1)
        form = RegulationDayForm(request.GET if "day" in request.GET else None, initial={"day": default})
        day = form.cleaned_data["day"] if form.is_bound and form.is_valid() else default
        return self._page(
            request,
            title=gettext("Riversamenti del giorno per PSP e per servizio"),
            template="totals.html",
            form=form,
            day=day,
            totals=fdr_day_totals(day=day),
        )

    def unreported_view(self, request):
        rows = receipts_unreported(today=timezone.localdate())
        return self._page(
            request,
            title=gettext("Ricevute in nessun flusso dopo tre giorni lavorativi"),
            template="unreported.html",
            receipts=rows[:UNREPORTED_SHOWN],
            count=rows.count(),
            shown=UNREPORTED_SHOWN,
        )


@admin.register(FdrLine)
class FdrLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["flow", "index", "iuv", "iur", "id_transfer", "amount_euro", "pay_date", "outcome", "receipt"]
    list_filter = ["outcome", "flow__regulation_date", "flow__psp_name"]
    list_select_related = ["flow", "receipt"]
    search_fields = ["=iuv", "=iur", "=flow__fdr"]
    search_help_text = _("IUV, IUR o identificativo del flusso.")
    fields = readonly_fields = (
        "flow",
        "index",
        "iuv",
        "iur",
        "id_transfer",
        "amount_euro",
        "pay_date",
        "pay_status",
        "outcome",
        "receipt",
    )
    amount_euro = money_column("amount", _("importo"))
