"""The office's view of SPID: the identity providers (metadata loaded, active, order), and who entered how."""

from django.contrib import admin

from portal.admin_mixins import ReadOnlyAdminMixin

from .models import IdentityProvider, LoginRecord


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "entity_id", "active", "test"]
    list_filter = ["active", "test"]
    search_fields = ["name", "entity_id"]


@admin.register(LoginRecord)
class LoginRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "user", "method", "level", "idp"]
    list_filter = ["method", "level"]
    search_fields = ["user__codice_fiscale"]
    list_select_related = ["user"]
