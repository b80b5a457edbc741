"""The users' authenticators (TOTP apps, recovery codes) in the back office: looked at, or removed when a phone is
lost — never created or edited there (a secret typed in by staff would be an enrolment nobody confirmed), and their
data (encrypted secrets) never shown. A removal is e-mailed to the account's address, as the owner's own is."""

from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import StaffViewAuthenticator

if admin.site.is_registered(Authenticator):
    admin.site.unregister(Authenticator)


@admin.register(StaffViewAuthenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    """Registered on a proxy with Italian names: allauth's model has English ones ("Authenticators")."""

    list_display = ("owner", "kind", "created", "last_used")
    search_fields = ("user__codice_fiscale", "user__email", "user__last_name")
    fields = ("owner", "kind", "created", "last_used")
    readonly_fields = fields

    @admin.display(description=_("utente"), ordering="user__last_name")
    def owner(self, obj: Authenticator) -> str:
        return str(obj.user)

    @admin.display(description=_("tipo"), ordering="type")
    def kind(self, obj: Authenticator) -> str:
        return str(obj.get_type_display())

    @admin.display(description=_("attivato il"), ordering="created_at")
    def created(self, obj: Authenticator):
        return obj.created_at

    @admin.display(description=_("ultimo uso"), ordering="last_used_at")
    def last_used(self, obj: Authenticator):
        return obj.last_used_at

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.authenticator_remove_by_office(authenticator=obj)

    def delete_queryset(self, request, queryset):
        for authenticator in queryset.select_related("user"):
            services.authenticator_remove_by_office(authenticator=authenticator)
