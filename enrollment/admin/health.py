"""Health data in the office's admin: the "Dieta medica" page and the certificate download, and the access log.

Only staff with `enrollment.view_health_data` reach them; every view and every download is recorded
(HealthDataAccess) by the services. The certificate is stored outside any public URL (MEDIA is never served):
this download is the only way to it, as an attachment that no browser or proxy keeps (Cache-Control: no-store).
MedicalDiet has no admin of its own and is never an inline.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from portal.admin_mixins import ReadOnlyAdminMixin

from .. import services
from ..models import HEALTH_PERMISSION, Enrollment, HealthDataAccess
from ..views.common import signed_in_user


def _enrollment_id(object_id) -> int:
    if not str(object_id).isdigit():
        raise Http404
    return int(object_id)


def medical_diet_view(model_admin, request: HttpRequest, object_id) -> HttpResponse:
    if not request.user.has_perm(HEALTH_PERMISSION):
        raise PermissionDenied
    enrollment_id = _enrollment_id(object_id)
    enrollment = (
        Enrollment.objects.select_related("child", "service", "school_year", "school").filter(pk=enrollment_id).first()
    )
    if enrollment is None:
        raise Http404
    medical_diet = services.medical_diet_get_for_staff(user=signed_in_user(request), enrollment_id=enrollment_id)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Enrollment._meta,
        "title": gettext("Dieta medica — %(child)s")
        % {"child": f"{enrollment.child.first_name} {enrollment.child.last_name}"},
        "original": enrollment,
        "medical_diet": medical_diet,
    }
    response = TemplateResponse(request, "admin/enrollment/enrollment/medical_diet.html", context)
    response["Cache-Control"] = "no-store"
    return response


def certificate_download_view(model_admin, request: HttpRequest, object_id) -> HttpResponse:
    if not request.user.has_perm(HEALTH_PERMISSION):
        raise PermissionDenied
    filename, content_type, content = services.medical_certificate_open_for_staff(
        user=signed_in_user(request), enrollment_id=_enrollment_id(object_id)
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@admin.register(HealthDataAccess)
class HealthDataAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who looked at which health data, and when. Itself visible only to staff allowed to see health data."""

    list_display = ["at", "user", "action", "enrollment", "detail"]
    list_filter = ["action"]
    search_fields = [
        "user__codice_fiscale",
        "user__last_name",
        "enrollment__protocol",
        "enrollment__child__codice_fiscale",
    ]
    list_select_related = ["user", "enrollment", "enrollment__service", "enrollment__school_year"]
    date_hierarchy = "at"
    readonly_fields = ("at", "user", "action", "enrollment", "detail")
    fields = readonly_fields

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(HEALTH_PERMISSION) and super().has_view_permission(request, obj)

    def has_module_permission(self, request):
        return request.user.has_perm(HEALTH_PERMISSION) and super().has_module_permission(request)
