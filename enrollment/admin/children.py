"""A child's enrollments on the child's admin page (the office answers a family's call from one page)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin.families import ChildAdmin
from portal.admin_mixins import ReadOnlyAdminMixin

from ..models import Enrollment

_FIELDS = ("enrollment_link", "service", "school_year", "status", "submitted_at", "tariff_amount")


class ChildEnrollmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Enrollment
    fk_name = "child"
    extra = 0
    verbose_name = _("iscrizione")
    verbose_name_plural = _("iscrizioni")
    fields = _FIELDS
    readonly_fields = _FIELDS
    ordering = ["-school_year__starts_on", "service__name"]
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("service", "school_year")

    @admin.display(description=_("protocollo"))
    def enrollment_link(self, enrollment: Enrollment) -> str:
        url = reverse("admin:enrollment_enrollment_change", args=[enrollment.pk])
        return format_html('<a href="{}">{}</a>', url, enrollment.protocol or _("bozza"))


ChildAdmin.inline_add(ChildEnrollmentInline)
