"""Attendance, corrections by hand, the office's reports with CSV, cancellations, exceptions after the cut-off."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Child
from enrollment.models import Enrollment
from portal.admin_mixins import ReadOnlyAdminMixin
from portal.csv_export import csv_chunks, csv_response
from portal.errors import DomainError

from .. import reports, services
from ..models import (
    Attendance,
    MealCancellation,
    MealException,
    MealType,
)
from ..selectors import canteen_enrollment_on, discrepancies, today_local

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class CorrectionForm(forms.Form):
    codice_fiscale = forms.CharField(label=_("Codice fiscale del bambino"), max_length=16)
    day = forms.DateField(label=_("Giorno"), input_formats=DATE_INPUT_FORMATS)
    present = forms.TypedChoiceField(
        label=_("Presenza"), choices=[("1", _("presente")), ("0", _("assente"))], coerce=lambda v: v == "1"
    )
    meal_type = forms.ChoiceField(label=_("Tipo di pasto"), choices=MealType.choices)


class MonthForm(forms.Form):
    month = forms.CharField(label=_("Mese (mm/aaaa)"), max_length=7)

    def month_value(self, default: datetime.date) -> datetime.date:
        if not self.is_valid():
            return default
        text = self.cleaned_data["month"].strip()
        for fmt in ("%m/%Y", "%Y-%m"):
            try:
                return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a month, no time of day
            except ValueError:
                continue
        self.add_error("month", gettext("Scrivi il mese come mm/aaaa, ad esempio 11/2026."))
        return default


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["date", "child_name", "school_name", "present", "meal_type", "batch"]
    list_filter = ["present", "meal_type", "enrollment__school"]
    search_fields = ["=enrollment__child__codice_fiscale", "enrollment__child__last_name"]
    search_help_text = _("Codice fiscale o cognome del bambino.")
    date_hierarchy = "date"
    list_select_related = ["enrollment__child", "enrollment__school", "batch"]
    change_list_template = "admin/canteen/attendance/change_list.html"

    @admin.display(description=_("bambino"), ordering="enrollment__child__last_name")
    def child_name(self, row: Attendance) -> str:
        return f"{row.enrollment.child.last_name} {row.enrollment.child.first_name}"

    @admin.display(description=_("scuola"))
    def school_name(self, row: Attendance) -> str:
        return str(row.enrollment.school or "")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("correggi/", view(self.correct_view), name="canteen_attendance_correct"),
            path("pasti-serviti/", view(self.meals_view), name="canteen_report_meals"),
            path("morosi/", view(self.arrears_view), name="canteen_report_arrears"),
            path("movimenti/", view(self.money_view), name="canteen_report_money"),
            path("discrepanze/", view(self.discrepancies_view), name="canteen_report_discrepancies"),
            *super().get_urls(),
        ]

    def _page(self, request, template: str, **context):
        if not self.has_view_permission(request):
            raise PermissionDenied
        full = {**self.admin_site.each_context(request), "opts": self.model._meta, **context}
        return TemplateResponse(request, f"admin/canteen/{template}", full)

    def correct_view(self, request):
        if not request.user.has_perm("canteen.add_attendancebatch"):
            raise PermissionDenied
        form = CorrectionForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            child = Child.objects.filter(codice_fiscale=data["codice_fiscale"].upper().strip()).first()
            enrollment = canteen_enrollment_on(child_id=child.pk, day=data["day"]) if child else None
            if enrollment is None:
                form.add_error(
                    "codice_fiscale",
                    gettext("Nessun bambino iscritto alla mensa in quel giorno con questo codice fiscale."),
                )
            else:
                try:
                    result = services.attendance_correct(
                        enrollment=enrollment,
                        day=data["day"],
                        present=data["present"],
                        meal_type=data["meal_type"],
                        actor=request.user,
                    )
                    messages.success(
                        request,
                        gettext("Giorno corretto: %(d)s addebiti, %(r)s storni.")
                        % {"d": result.debited, "r": result.reversed},
                    )
                    return redirect("admin:canteen_attendance_correct")
                except DomainError as error:
                    form.add_error(None, str(error))
        return self._page(request, "correct.html", title=gettext("Correggi la presenza di un giorno"), form=form)

    def _report(
        self, request, *, title, header, rows, csv_rows, filename, month_form=None, template="report.html", **extra
    ):
        if request.GET.get("csv"):
            if not self.has_view_permission(request):
                raise PermissionDenied
            return csv_response((filename, "text/csv; charset=utf-8", csv_chunks(header, csv_rows)))
        query = request.GET.copy()
        query["csv"] = "1"
        return self._page(
            request, template, title=title, rows=rows, month_form=month_form, csv_query=query.urlencode(), **extra
        )

    def _month(self, request) -> tuple[MonthForm, datetime.date]:
        today = today_local().replace(day=1)
        form = MonthForm(request.GET if "month" in request.GET else None, initial={"month": f"{today:%m/%Y}"})
        return form, form.month_value(today) if form.is_bound else today

    def meals_view(self, request):
        form, month = self._month(request)
        rows = reports.meals_served(month=month)
        return self._report(
            request,
            title=gettext("Pasti serviti per scuola, giorno e tipo — %(month)s") % {"month": f"{month:%m/%Y}"},
            header=reports.MEALS_HEADER,
            rows=rows,
            csv_rows=reports.meals_served_csv_rows(rows),
            filename=f"pasti_serviti_{month:%Y-%m}.csv",
            month_form=form,
            template="report_meals.html",
            totals={key: sum(row[key] for row in rows) for key in ("served", "cancelled", "conflicts", "by_hand")},
        )

    def arrears_view(self, request):
        rows = reports.arrears_by_school()
        return self._report(
            request,
            title=gettext("Famiglie con il credito della mensa negativo, per scuola"),
            header=reports.ARREARS_HEADER,
            rows=rows,
            csv_rows=reports.arrears_csv_rows(rows),
            filename=f"morosi_mensa_{timezone.localdate():%Y-%m-%d}.csv",
            template="report_arrears.html",
        )

    def money_view(self, request):
        form, month = self._month(request)
        rows = reports.money_per_day(month=month)
        return self._report(
            request,
            title=gettext("Ricariche e pasti addebitati per giorno — %(month)s") % {"month": f"{month:%m/%Y}"},
            header=reports.MONEY_HEADER,
            rows=rows,
            csv_rows=reports.money_csv_rows(rows),
            filename=f"movimenti_mensa_{month:%Y-%m}.csv",
            month_form=form,
            template="report_money.html",
        )

    def discrepancies_view(self, request):
        form, month = self._month(request)
        first, last = reports.month_bounds(month)
        rows = list(discrepancies(first=first, last=last)[:1000])
        return self._page(
            request,
            "report_discrepancies.html",
            title=gettext("Pasti disdetti ma segnalati presenti — %(month)s") % {"month": f"{month:%m/%Y}"},
            rows=rows,
            month_form=form,
        )


@admin.register(MealCancellation)
class MealCancellationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["date", "enrollment", "kind", "created_by", "created_at", "withdrawn_at"]
    list_filter = ["kind", "enrollment__school"]
    search_fields = ["=enrollment__child__codice_fiscale", "enrollment__child__last_name"]
    date_hierarchy = "date"
    list_select_related = ["enrollment__child", "enrollment__service", "enrollment__school_year", "created_by"]


class MealExceptionForm(forms.ModelForm):
    codice_fiscale = forms.CharField(label=_("Codice fiscale del bambino"), max_length=16)

    class Meta:
        model = MealException
        fields = ["date", "reason"]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        child = Child.objects.filter(codice_fiscale=(data.get("codice_fiscale") or "").upper().strip()).first()
        day = data.get("date")
        enrollment = canteen_enrollment_on(child_id=child.pk, day=day) if child and day else None
        if child is None or (day and enrollment is None):
            self.add_error(
                "codice_fiscale",
                gettext("Nessun bambino iscritto alla mensa in quel giorno con questo codice fiscale."),
            )
        data["enrollment"] = enrollment
        if enrollment is not None and day:
            try:
                services.meal_exception_check(enrollment=enrollment, day=day, reason=data.get("reason", ""))
            except DomainError as error:
                self.add_error(None, str(error))
        return data


@admin.register(MealException)
class MealExceptionAdmin(admin.ModelAdmin):
    list_display = ["date", "enrollment", "reason", "granted_by", "granted_at"]
    search_fields = ["=enrollment__child__codice_fiscale", "enrollment__child__last_name"]
    date_hierarchy = "date"
    list_select_related = ["enrollment__child", "enrollment__service", "enrollment__school_year", "granted_by"]
    form = MealExceptionForm

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return ["enrollment", "date", "reason", "granted_by", "granted_at"] if obj else []

    def save_model(self, request, obj, form, change):
        enrollment: Enrollment = form.cleaned_data["enrollment"]
        try:
            created = services.meal_exception_grant(
                enrollment=enrollment,
                day=form.cleaned_data["date"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except DomainError as error:
            raise PermissionDenied(str(error)) from error
        obj.pk = created.pk
        obj.enrollment = created.enrollment
        obj.granted_by = created.granted_by
