"""The page of school staff (secretaries, kitchens, transport operators): the CSV files of their schools and routes.

Only users with a SchoolStaff row reach it, and only for the schools and routes listed there: any other
school's or route's id answers 404, as if it did not exist. The kitchen file names the children with a special
diet only for users who may see health data (and the download is recorded); never the medical details.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from portal.csv_export import csv_response

from .. import selectors
from ..exports import day_parse, kitchen_export, roster_export, school_year_current, transport_export
from ..models import HEALTH_PERMISSION, Route, SchoolStaff, SchoolYear
from ..selectors import staff as staff_selectors
from .common import signed_in_user


def _year(request: HttpRequest) -> SchoolYear | None:
    value = request.GET.get("anno", "")
    if value.isdigit():
        return selectors.school_year_get(pk=int(value))
    return school_year_current()


def _page(request: HttpRequest, staff: SchoolStaff, *, day_text: str) -> HttpResponse:
    """The page; a day that is not a date is said next to the date field, with what was typed kept."""
    year = _year(request)
    day = day_parse(day_text) if day_text else timezone.localdate()
    context = {
        "year": year,
        "years": selectors.school_year_list(),
        "schools": staff.schools.order_by("name"),
        "routes": staff.routes.filter(school_year=year).order_by("name") if year else Route.objects.none(),
        "day": day,
        "day_text": day_text if day is None else f"{day:%Y-%m-%d}",
        "day_error": _("Scrivi il giorno come gg/mm/aaaa, ad esempio 15/09/2026.") if day is None else "",
        "can_names": request.user.has_perm(HEALTH_PERMISSION),
    }
    return render(request, "enrollment/school_staff_home.html", context, status=200 if day else 400)


@login_required
@require_GET
def school_staff_home(request: HttpRequest) -> HttpResponse:
    return _page(
        request, staff_selectors.school_staff_get(user=signed_in_user(request)), day_text=request.GET.get("giorno", "")
    )


@login_required
@require_GET
def school_roster(request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    school = staff_selectors.school_get_for_staff(
        staff=staff_selectors.school_staff_get(user=signed_in_user(request)), pk=pk
    )
    year = _year(request)
    if year is None:
        raise Http404
    return csv_response(roster_export(school_ids=[school.pk], school_year=year))


@login_required
@require_GET
def school_kitchen(request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    staff = staff_selectors.school_staff_get(user=signed_in_user(request))
    school = staff_selectors.school_get_for_staff(staff=staff, pk=pk)
    day = day_parse(request.GET.get("giorno", ""))
    if day is None:
        return _page(request, staff, day_text=request.GET.get("giorno", ""))
    include_names = request.user.has_perm(HEALTH_PERMISSION) and request.GET.get("nomi") == "1"
    export = kitchen_export(school_ids=[school.pk], day=day, include_names=include_names, user=signed_in_user(request))
    return csv_response(export)


@login_required
@require_GET
def route_transport(request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    route = staff_selectors.route_get_for_staff(
        staff=staff_selectors.school_staff_get(user=signed_in_user(request)), pk=pk
    )
    return csv_response(transport_export(route_ids=[route.pk], school_year=route.school_year))
