"""The users' authenticators (TOTP apps, recovery codes) in the back office: looked at, or removed when a phone is
lost — never created or edited there (a secret typed in by staff would be an enrolment nobody confirmed), and their
data (encrypted secrets) never shown. A removal is e-mailed to the account's address, as the owner's own is."""

from allauth.mfa.models import Authenticator
from django.contrib import admin

from .. import services

if admin.site.is_registered(Authenticator):
    admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    raw_id_fields = ("user",)
    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type", "created_at", "last_used_at")
    search_fields = ("user__codice_fiscale", "user__email", "user__last_name")
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.authenticator_remove_by_office(authenticator=obj)

    def delete_queryset(self, request, queryset):
        for authenticator in queryset.select_related("user"):
            services.authenticator_remove_by_office(authenticator=authenticator)
