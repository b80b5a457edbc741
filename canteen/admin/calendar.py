"""The canteen's calendars with their closures, the year's rules, and the attendance files."""

from functools import partial

from django.contrib import admin, messages
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from payments.admin.money import money_column
from portal.admin_mixins import ReadOnlyAdminMixin

from .. import tasks
from ..models import (
    AttendanceBatch,
    CanteenCalendar,
    CanteenPolicy,
    Closure,
)
from ..selectors import calendar_service_days


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 1
    fields = ["starts_on", "ends_on", "kind", "note", "notify_families", "notified_at"]
    readonly_fields = ["notified_at"]


@admin.register(CanteenCalendar)
class CanteenCalendarAdmin(admin.ModelAdmin):
    list_display = ["school", "school_year", "first_day", "last_day", "service_day_count"]
    list_filter = ["school_year"]
    search_fields = ["school__name", "school__ministry_code"]
    inlines = [ClosureInline]

    @admin.display(description=_("giorni di servizio"))
    def service_day_count(self, calendar: CanteenCalendar) -> int:
        return len(calendar_service_days(calendar))

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for closure in instances:
            if closure.created_by_id is None:
                closure.created_by = request.user
            closure.save()
            if closure.notify_families and closure.notified_at is None:
                transaction.on_commit(partial(tasks.closure_notify_task.delay, closure.pk))
                messages.info(
                    request,
                    gettext("Le famiglie di %(school)s riceveranno un'e-mail.") % {"school": closure.calendar.school},
                )
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(CanteenPolicy)
class CanteenPolicyAdmin(admin.ModelAdmin):
    list_display = ["school_year", "cutoff_time", "low_balance_meals", "overdraft_euro", "arrears_reminder_days"]
    overdraft_euro = money_column("overdraft_limit", _("scoperto ammesso"))


@admin.register(AttendanceBatch)
class AttendanceBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "school", "source", "status", "row_count", "error_count", "preview_link"]
    list_filter = ["status", "source", "school"]
    list_select_related = ["school"]
    fields = readonly_fields = (
        "school",
        "source",
        "status",
        "filename",
        "content_sha256",
        "row_count",
        "created_by",
        "created_at",
        "applied_at",
    )
    change_list_template = "admin/canteen/attendancebatch/change_list.html"

    @admin.display(description=_("righe con errori"))
    def error_count(self, batch: AttendanceBatch) -> int:
        return len(batch.errors)

    @admin.display(description=_("anteprima"))
    def preview_link(self, batch: AttendanceBatch) -> str:
        if batch.school_id is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("canteen:attendance_batch", args=[batch.pk]), gettext("Apri")
        )
