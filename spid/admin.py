"""The office's view of SPID: the identity providers (metadata loaded, active, order), and who entered how."""

from django.contrib import admin
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.admin_mixins import ReadOnlyAdminMixin

from .models import IdentityProvider, LoginRecord
from .registry import EXPIRY_WARNING, signing_certificate_expiry


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "entity_id", "active", "test", "refreshed_at", "certificate_expiry"]
    list_filter = ["kind", "active", "test"]
    search_fields = ["name", "entity_id"]

    @admin.display(description=gettext_lazy("certificato di firma valido fino al"))
    def certificate_expiry(self, idp: IdentityProvider) -> str:
        expiry = signing_certificate_expiry(idp.metadata_xml)
        if expiry is None:
            return "—"
        day = date_format(timezone.localtime(expiry), "j F Y").lower()  # Italian months are lowercase
        if expiry < timezone.now():
            return _("SCADUTO il %(day)s") % {"day": day}
        if expiry < timezone.now() + EXPIRY_WARNING:
            return _("%(day)s (scade tra meno di 30 giorni)") % {"day": day}
        return day


@admin.register(LoginRecord)
class LoginRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "user", "method", "level", "idp", "logged_out_at"]
    list_filter = ["method", "level"]
    search_fields = ["user__codice_fiscale"]
    exclude = ["session_key", "name_id", "session_index"]  # technical: single logout only
    list_select_related = ["user"]
