from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.admin_mixins import ReadOnlyAdminMixin

from .models import IoMessage, NotificationDefault, OutboxEmail, RetentionPolicy, RetentionRun


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipients", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["subject", "to"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboxEmail._meta.fields]

    @admin.display(description=_("destinatari"))
    def recipients(self, obj: OutboxEmail) -> str:
        return ", ".join(obj.to)


@admin.register(IoMessage)
class IoMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What became of each message for the app IO: delivered, not on IO, switched off, refused, retried."""

    list_display = ["created_at", "kind", "service", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "service"]
    search_fields = ["fiscal_code", "io_message_id", "subject"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in IoMessage._meta.fields]


@admin.register(NotificationDefault)
class NotificationDefaultAdmin(admin.ModelAdmin):
    """The channel parents get for each kind of message until they choose (one row per kind)."""

    list_display = ["kind", "channel"]
    list_editable = ["channel"]
    list_display_links = None

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    """One row, edited in place: the list opens it (or the form to set it the first time)."""

    fields = ["health_data_months", "isee_months", "unverified_account_days", "refused_call_days", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not RetentionPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if RetentionPolicy.objects.filter(pk=1).exists():
            return HttpResponseRedirect(reverse("admin:portal_retentionpolicy_change", args=[1]))
        return HttpResponseRedirect(reverse("admin:portal_retentionpolicy_add"))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_save_and_add_another": False}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        obj.pk = 1
        super().save_model(request, obj, form, change)


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["started_at", "trigger", "dry_run", "counts_display", "finished_at"]
    list_filter = ["trigger", "dry_run"]
    date_hierarchy = "started_at"
    readonly_fields = ["started_at", "finished_at", "trigger", "dry_run", "counts_display"]
    fields = ["started_at", "finished_at", "trigger", "dry_run", "counts_display"]

    @admin.display(description=_("record cancellati"))
    def counts_display(self, obj: RetentionRun) -> str:
        return ", ".join(f"{name}: {count}" for name, count in obj.counts.items()) or "—"
