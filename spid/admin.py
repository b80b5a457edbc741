"""The office's view of SPID: the identity providers (metadata loaded, active, order), and who entered how."""

from django.contrib import admin

from portal.admin_mixins import ReadOnlyAdminMixin

from .models import IdentityProvider, LoginRecord


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "entity_id", "active", "test", "refreshed_at"]
    list_filter = ["kind", "active", "test"]
    search_fields = ["name", "entity_id"]


@admin.register(LoginRecord)
class LoginRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "user", "method", "level", "idp", "logged_out_at"]
    list_filter = ["method", "level"]
    search_fields = ["user__codice_fiscale"]
    exclude = ["session_key", "name_id", "session_index"]  # technical: single logout only
    list_select_related = ["user"]
