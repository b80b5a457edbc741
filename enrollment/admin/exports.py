"""The office's downloads: the "Esportazioni" page, its CSV links and the export actions on schools and routes.

Every download is a streamed CSV (enrollment.exports). The names of the children with a special diet are in
the kitchen file only for staff allowed to see health data, and each such download is recorded.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.csv_export import csv_response

from ..exports import day_parse, kitchen_export, roster_export, school_year_current, transport_export
from ..models import HEALTH_PERMISSION, Route, School, SchoolYear

EXPORT_PERMISSION = "enrollment.view_enrollment"


def _ids(request: HttpRequest, name: str) -> list[int]:
    return [int(value) for value in request.GET.getlist(name) if value.isdigit()]


def _year(request: HttpRequest) -> SchoolYear | None:
    value = request.GET.get("anno", "")
    if value.isdigit():
        return SchoolYear.objects.filter(pk=int(value)).first()
    return school_year_current()


def _check(request: HttpRequest) -> None:
    if not request.user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied


def exports_page(request: HttpRequest) -> HttpResponse:
    _check(request)
    year = _year(request)
    can_names = request.user.has_perm(HEALTH_PERMISSION)
    context = {
        **admin.site.each_context(request),
        "title": gettext("Esportazioni per scuole, cucine e trasporto"),
        "opts": School._meta,
        "years": SchoolYear.objects.all(),
        "year": year,
        "schools": School.objects.order_by("name"),
        "routes": Route.objects.filter(school_year=year).order_by("name") if year else Route.objects.none(),
        "today": timezone.localdate(),
        "can_names": can_names,
    }
    return TemplateResponse(request, "admin/enrollment/exports.html", context)


def roster_download(request: HttpRequest) -> HttpResponseBase:
    _check(request)
    year = _year(request)
    if year is None:
        messages.error(request, gettext("Nessun anno scolastico configurato."))
        return redirect("admin:enrollment_exports")
    school_ids = _ids(request, "scuola") or list(School.objects.values_list("pk", flat=True))
    return csv_response(roster_export(school_ids=school_ids, school_year=year))


def kitchen_download(request: HttpRequest) -> HttpResponseBase:
    _check(request)
    day = day_parse(request.GET.get("giorno", ""))
    if day is None:
        messages.error(request, gettext("Scrivi il giorno come gg/mm/aaaa, ad esempio 15/09/2026."))
        return redirect("admin:enrollment_exports")
    include_names = request.GET.get("nomi") == "1"
    if include_names and not request.user.has_perm(HEALTH_PERMISSION):
        raise PermissionDenied
    school_ids = _ids(request, "scuola") or list(School.objects.values_list("pk", flat=True))
    export = kitchen_export(school_ids=school_ids, day=day, include_names=include_names, user=request.user)
    return csv_response(export)


def transport_download(request: HttpRequest) -> HttpResponseBase:
    _check(request)
    year = _year(request)
    if year is None:
        messages.error(request, gettext("Nessun anno scolastico configurato."))
        return redirect("admin:enrollment_exports")
    route_ids = _ids(request, "linea") or list(Route.objects.filter(school_year=year).values_list("pk", flat=True))
    return csv_response(transport_export(route_ids=route_ids, school_year=year))


def export_urls(admin_site) -> list:
    """Mounted under the schools' admin (admin/enrollment/school/esportazioni/...)."""
    return [
        path("esportazioni/", admin_site.admin_view(exports_page), name="enrollment_exports"),
        path("esportazioni/iscritti.csv", admin_site.admin_view(roster_download), name="enrollment_export_roster"),
        path("esportazioni/mensa.csv", admin_site.admin_view(kitchen_download), name="enrollment_export_kitchen"),
        path(
            "esportazioni/trasporto.csv",
            admin_site.admin_view(transport_download),
            name="enrollment_export_transport",
        ),
    ]


# --- actions on the schools' and routes' lists --------------------------------------------------


@admin.action(description=_("Scarica l'elenco degli iscritti (CSV, anno in corso)"), permissions=["export"])
def export_roster_action(modeladmin, request, queryset):
    year = school_year_current()
    if year is None:
        modeladmin.message_user(request, gettext("Nessun anno scolastico configurato."), messages.ERROR)
        return None
    return csv_response(roster_export(school_ids=list(queryset.values_list("pk", flat=True)), school_year=year))


@admin.action(description=_("Scarica i pasti di oggi per dieta (CSV, senza nomi)"), permissions=["export"])
def export_kitchen_today_action(modeladmin, request, queryset):
    school_ids = list(queryset.values_list("pk", flat=True))
    return csv_response(kitchen_export(school_ids=school_ids, day=timezone.localdate(), include_names=False))


@admin.action(description=_("Scarica l'elenco per fermata (CSV)"), permissions=["export"])
def export_transport_action(modeladmin, request, queryset):
    routes = list(queryset.values_list("pk", "school_year_id"))
    years = {year_id for _pk, year_id in routes}
    if len(years) != 1:
        modeladmin.message_user(
            request, gettext("Scegli linee dello stesso anno scolastico: l'elenco è per un anno."), messages.ERROR
        )
        return None
    year = SchoolYear.objects.get(pk=years.pop())
    return csv_response(transport_export(route_ids=[pk for pk, _year in routes], school_year=year))
