"""Tax certificates in the admin: the list (valid and replaced, totals, verification code), each PDF, and the year's
issue started as a Celery task with its progress on a page that refreshes itself (the web process does none of it)."""

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.admin_mixins import ReadOnlyAdminMixin
from portal.csv_export import csv_response

from .. import tasks
from ..certificate_pdf import certificate_pdf_filename, certificate_pdf_get_or_render
from ..certificates_export import tax_data_export
from ..models import ExpenseSplit, TaxCertificate
from ..services.certificates import PROGRESS_KEY
from .money import money_column


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Anno dei pagamenti"), min_value=2020, max_value=2100)


@admin.register(TaxCertificate)
class TaxCertificateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["year", "child", "holder_name", "school_euro", "nursery_euro", "status", "issued_at", "pdf_link"]
    list_filter = ["year", "status"]
    list_select_related = ["child"]
    search_fields = ["=holder_fiscal_code", "=child__codice_fiscale", "child__last_name", "=verification_code"]
    search_help_text = _("Codice fiscale dell'intestatario o del bambino, cognome del bambino, codice di verifica.")
    fields = readonly_fields = (
        "year",
        "child",
        "holder_name",
        "holder_fiscal_code",
        "share_percent",
        "school_euro",
        "nursery_euro",
        "verification_code",
        "status",
        "replaced_by",
        "issued_at",
        "pdf_link",
    )
    change_list_template = "admin/payments/taxcertificate/change_list.html"
    school_euro = money_column("school_total", _("spese scolastiche"))
    nursery_euro = money_column("nursery_total", _("nido"))

    @admin.display(description=_("PDF"))
    def pdf_link(self, certificate: TaxCertificate) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:payments_taxcertificate_pdf", args=[certificate.pk]),
            gettext("Scarica"),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/pdf/", view(self.pdf_view), name="payments_taxcertificate_pdf"),
            path("emetti/", view(self.issue_view), name="payments_taxcertificate_issue"),
            path("dati-fiscali/", view(self.tax_data_view), name="payments_taxcertificate_tax_data"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        certificate = get_object_or_404(TaxCertificate.objects.select_related("child"), pk=pk)
        response = HttpResponse(certificate_pdf_get_or_render(certificate=certificate), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{certificate_pdf_filename(certificate)}"'
        return response

    def tax_data_view(self, request):
        """The year's data for the tax agency as a `;` CSV (?anno=YYYY), streamed."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        text = request.GET.get("anno", "")
        year = int(text) if text.isdigit() and 2020 <= int(text) <= 2100 else timezone.localdate().year - 1
        return csv_response(tax_data_export(year=year))

    def issue_view(self, request):
        if not request.user.has_perm("payments.add_taxcertificate"):
            raise PermissionDenied
        default = timezone.localdate().year - 1
        form = YearForm(request.POST if request.method == "POST" else None, initial={"year": default})
        if request.method == "POST" and form.is_valid():
            year = form.cleaned_data["year"]
            cache.set(PROGRESS_KEY.format(year=year), {"done": 0, "total": 0, "finished": False}, timeout=86400)
            tasks.certificates_issue_year_task.delay(year)
            messages.info(request, gettext("Emissione delle attestazioni %(year)s avviata.") % {"year": year})
            return redirect(f"{reverse('admin:payments_taxcertificate_issue')}?anno={year}")
        year = request.GET.get("anno", "")
        progress = cache.get(PROGRESS_KEY.format(year=year)) if year.isdigit() else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Emetti le attestazioni delle spese"),
            "form": form,
            "year": year,
            "progress": progress,
            "percent": int(100 * progress["done"] / progress["total"]) if progress and progress.get("total") else 0,
        }
        return TemplateResponse(request, "admin/payments/taxcertificate/issue.html", context)


@admin.register(ExpenseSplit)
class ExpenseSplitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["child", "year", "declared_by", "declared_at"]
    list_filter = ["year"]
    search_fields = ["=child__codice_fiscale", "child__last_name"]
