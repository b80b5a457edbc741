from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.admin_mixins import ReadOnlyAdminMixin

from .models import OutboxEmail


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
