"""The office's configuration of a school year: years, windows, schools and classes, services, tariffs, routes.

Tariff bands are checked as a whole when the plan is saved (no gaps, no overlaps, [from, to), the last one
open-ended), and the plan's page shows what a family would pay in a few typical cases.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.services import family_summary_invalidate_all

from ..models import (
    Enrollment,
    EnrollmentWindow,
    Route,
    School,
    SchoolClass,
    SchoolStaff,
    SchoolYear,
    Service,
    Stop,
    TariffBand,
    TariffPlan,
)
from ..selectors import tariff_plan_to_pure
from ..services import route_waitlist_fill
from ..tariffs import TariffError, bands_validate, money_format, tariff_compute
from .exports import export_kitchen_today_action, export_roster_action, export_transport_action, export_urls


class FamilySummaryAdminMixin:
    """Names every family's page shows (a school year's, a school's, a service's): a change reaches every family's
    cached summary (portal.family_cache)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        family_summary_invalidate_all()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)  # type: ignore[misc]
        family_summary_invalidate_all()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        family_summary_invalidate_all()


@admin.register(SchoolYear)
class SchoolYearAdmin(FamilySummaryAdminMixin, admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on"]
    search_fields = ["name"]
    fields = ["name", "starts_on", "ends_on"]


@admin.register(EnrollmentWindow)
class EnrollmentWindowAdmin(admin.ModelAdmin):
    list_display = ["service", "school_year", "opens_at", "closes_at", "open_now"]
    list_filter = ["service", "school_year"]
    list_select_related = ["service", "school_year"]
    fieldsets = [
        (
            None,
            {
                "fields": ["service", "school_year", "opens_at", "closes_at"],
                "description": _(
                    "Date e ore sono dell'ora italiana (Europe/Rome). Le famiglie possono iscrivere dall'apertura "
                    "fino all'istante di chiusura escluso; dopo, solo l'ufficio può inserire un'iscrizione tardiva."
                ),
            },
        )
    ]

    @admin.display(description=_("aperto adesso"), boolean=True)
    def open_now(self, obj: EnrollmentWindow) -> bool:
        return obj.is_open(timezone.now())


class SchoolClassInline(admin.TabularInline):
    model = SchoolClass
    extra = 1
    fields = ["name", "min_age_months", "max_age_months"]


@admin.register(School)
class SchoolAdmin(FamilySummaryAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "ministry_code", "address", "classes_count"]
    list_filter = ["kind"]
    search_fields = ["name", "ministry_code"]
    fields = ["name", "kind", "ministry_code", "address"]
    inlines = [SchoolClassInline]
    change_list_template = "admin/enrollment/exports_change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(classes_count=Count("classes"))

    @admin.display(description=_("classi"), ordering="classes_count")
    def classes_count(self, obj: School) -> int:
        return getattr(obj, "classes_count", 0)

    actions = [export_roster_action, export_kitchen_today_action]

    def get_urls(self):
        return [*export_urls(self.admin_site), *super().get_urls()]

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm("enrollment.view_enrollment")


@admin.register(Service)
class ServiceAdmin(FamilySummaryAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "instalments", "schools_count"]
    fields = ["kind", "name", "description", "instalments", "schools"]
    filter_horizontal = ["schools"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(schools_count=Count("schools"))

    @admin.display(description=_("scuole servite"), ordering="schools_count")
    def schools_count(self, obj: Service) -> int:
        return getattr(obj, "schools_count", 0)


# --- tariffs -----------------------------------------------------------------------------------


class TariffBandFormSet(forms.BaseInlineFormSet):
    """The bands of a plan are valid only together: from 0, each where the previous ends, the last unlimited."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return  # a band with a bad value already says so on its row
        bands = [
            {
                "isee_from": form.cleaned_data.get("isee_from"),
                "isee_to": form.cleaned_data.get("isee_to"),
                "amount": form.cleaned_data.get("amount"),
            }
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        problems = bands_validate(bands)
        if problems:
            raise ValidationError(problems)


class TariffBandInline(admin.TabularInline):
    model = TariffBand
    formset = TariffBandFormSet
    extra = 1
    fields = ["isee_from", "isee_to", "amount"]
    verbose_name_plural = _("fasce ISEE: «da» incluso, «fino a» escluso")


# A few typical families for the example on the plan's page.
EXAMPLE_ISEE = [Decimal("0"), Decimal("8000"), Decimal("15000"), Decimal("30000")]


@admin.register(TariffPlan)
class TariffPlanAdmin(admin.ModelAdmin):
    list_display = ["service", "school_year", "bands_count", "no_isee_amount", "non_resident_amount"]
    list_filter = ["service", "school_year"]
    list_select_related = ["service", "school_year"]
    inlines = [TariffBandInline]
    readonly_fields = ["example"]
    change_form_template = "admin/enrollment/tariffplan/change_form.html"
    fieldsets = [
        (None, {"fields": ["service", "school_year"]}),
        (
            _("Casi particolari"),
            {"fields": ["no_isee_amount", "non_resident_amount", "sibling_second_percent", "sibling_third_percent"]},
        ),
        (_("Esempio di calcolo"), {"fields": ["example"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(bands_count=Count("bands"))

    @admin.display(description=_("fasce"), ordering="bands_count")
    def bands_count(self, obj: TariffPlan) -> int:
        return getattr(obj, "bands_count", 0)

    @admin.display(description=_("che cosa pagherebbe una famiglia"))
    def example(self, obj: TariffPlan | None) -> str:
        if obj is None or obj.pk is None:
            return gettext("L'esempio compare dopo aver salvato il piano con le sue fasce.")
        plan = tariff_plan_to_pure(plan=obj)
        if bands_validate(plan.bands):
            return gettext("Le fasce non sono complete: correggile per vedere l'esempio.")
        cases: list[tuple[str, Decimal | None, bool, int]] = [
            (gettext("Residente con ISEE %(isee)s, primo figlio") % {"isee": money_format(isee)}, isee, True, 1)
            for isee in EXAMPLE_ISEE
        ]
        cases += [
            (
                gettext("Residente con ISEE %(isee)s, secondo figlio") % {"isee": money_format(EXAMPLE_ISEE[1])},
                EXAMPLE_ISEE[1],
                True,
                2,
            ),
            (gettext("Residente senza ISEE"), None, True, 1),
            (gettext("Non residente"), EXAMPLE_ISEE[1], False, 1),
        ]
        rows = []
        for label, isee, resident, rank in cases:
            try:
                tariff = tariff_compute(plan=plan, isee=isee, resident=resident, sibling_rank=rank)
            except TariffError:
                continue
            rows.append((label, "; ".join(tariff.explain())))
        return format_html("<ul>{}</ul>", format_html_join("", "<li><strong>{}</strong>: {}</li>", rows))


# --- transport ---------------------------------------------------------------------------------


class StopInline(admin.TabularInline):
    model = Stop
    extra = 1
    fields = ["order", "name", "address", "outbound_time", "return_time"]
    ordering = ["order"]
    verbose_name_plural = _("fermate, nell'ordine del percorso di andata (orari hh:mm)")


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ["name", "school_year", "seats", "waiting"]
    list_filter = ["school_year"]
    list_select_related = ["school_year"]
    search_fields = ["name"]
    fields = ["school_year", "name", "capacity", "schools"]
    filter_horizontal = ["schools"]
    inlines = [StopInline]
    actions = [export_transport_action]
    change_list_template = "admin/enrollment/exports_change_list.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                seats_taken=Count("enrollments", filter=Q(enrollments__status__in=Enrollment.SEAT_STATUSES)),
                waiting_count=Count("enrollments", filter=Q(enrollments__status=Enrollment.Status.WAITLISTED)),
            )
        )

    @admin.display(description=_("posti occupati / posti"), ordering="seats_taken")
    def seats(self, obj: Route) -> str:
        return f"{getattr(obj, 'seats_taken', 0)} / {obj.capacity}"

    @admin.display(description=_("in lista d'attesa"), ordering="waiting_count")
    def waiting(self, obj: Route) -> int:
        return getattr(obj, "waiting_count", 0)

    def save_model(self, request, obj: Route, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "capacity" in form.changed_data and form.initial.get("capacity", 0) < obj.capacity:
            moved = route_waitlist_fill(route=obj, actor=request.user)
            if moved:
                self.message_user(
                    request,
                    ngettext(
                        "Posti aumentati: %(count)d iscrizione è uscita dalla lista d'attesa.",
                        "Posti aumentati: %(count)d iscrizioni sono uscite dalla lista d'attesa.",
                        moved,
                    )
                    % {"count": moved},
                    messages.SUCCESS,
                )

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm("enrollment.view_enrollment")


# --- school staff ------------------------------------------------------------------------------


@admin.register(SchoolStaff)
class SchoolStaffAdmin(admin.ModelAdmin):
    list_display = ["user", "schools_list", "routes_list"]
    search_fields = ["user__codice_fiscale", "user__email", "user__last_name", "schools__name"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    filter_horizontal = ["schools", "routes"]
    fieldsets = [
        (
            None,
            {
                "fields": ["user", "schools", "routes"],
                "description": _(
                    "Il personale di una scuola (segreteria, cucina, trasportatore) accede con il proprio account "
                    "alla pagina «Elenchi per le scuole» e scarica solo gli elenchi delle scuole e delle linee "
                    "indicate qui. I nomi dei bambini con diete speciali compaiono solo se l'utente ha anche il "
                    "permesso sui dati sanitari."
                ),
            },
        )
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("schools", "routes")

    @admin.display(description=_("scuole"))
    def schools_list(self, obj: SchoolStaff) -> str:
        return ", ".join(school.name for school in obj.schools.all())

    @admin.display(description=_("linee"))
    def routes_list(self, obj: SchoolStaff) -> str:
        return ", ".join(route.name for route in obj.routes.all())
