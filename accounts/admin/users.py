from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.admin_mixins import ReadOnlyAdminMixin

from .. import services
from ..models import Consent, Guardianship, LegalDocument, User

_ADULT_GUARDIANSHIP_INLINE_FIELDS = ("child", "role", "granted_at", "revoked_at")


class AdultGuardianshipInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Guardianship
    fk_name = "adult"
    extra = 0
    verbose_name_plural = _("bambini per cui può agire")
    fields = _ADULT_GUARDIANSHIP_INLINE_FIELDS
    readonly_fields = _ADULT_GUARDIANSHIP_INLINE_FIELDS


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["last_name", "first_name"]
    list_display = ["codice_fiscale", "last_name", "first_name", "email", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_active"]
    search_fields = [
        "codice_fiscale",
        "email",
        "last_name",
        "first_name",
        "guardianships__child__codice_fiscale",
        "guardianships__child__last_name",
    ]
    readonly_fields = ["date_joined", "last_login"]
    inlines = [AdultGuardianshipInline]
    fieldsets = [
        (None, {"fields": ["codice_fiscale", "password"]}),
        (_("Dati personali"), {"fields": ["first_name", "last_name", "email", "phone", "postal_address"]}),
        (_("Permessi"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Date"), {"fields": ["last_login", "date_joined"]}),
    ]
    PERMISSION_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        """Only a superuser grants staff status, groups or permissions: an office clerk cannot raise anyone."""
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += self.PERMISSION_FIELDS
        return fields

    def has_change_permission(self, request, obj=None):
        """A staff account (and its password) is changed only by a superuser."""
        if obj is not None and obj.is_staff and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["codice_fiscale", "email", "first_name", "last_name", "password1", "password2"],
            },
        ),
    ]


@admin.register(LegalDocument)
class LegalDocumentAdmin(admin.ModelAdmin):
    list_display = ["kind", "version", "title", "published_at", "accepted_by"]
    list_filter = ["kind"]
    readonly_fields = ["published_at", "created_at", "created_by"]
    actions = ["publish"]

    @admin.display(description=_("accettato da"))
    def accepted_by(self, obj: LegalDocument) -> int:
        return obj.consents.count()

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.published_at is not None:
            # A published version is what users accepted: it is never rewritten, a new version is added.
            return ["kind", "version", "title", "body", *self.readonly_fields]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return obj is None or obj.published_at is None

    @admin.action(description=_("Pubblica le versioni selezionate (tutti dovranno accettarle)"))
    def publish(self, request, queryset):
        count = 0
        for document in queryset.filter(published_at__isnull=True):
            services.legal_document_publish(document=document)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d versione pubblicata.", "%(count)d versioni pubblicate.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "document", "accepted_at", "ip_address"]
    list_filter = ["document"]
    search_fields = ["user__codice_fiscale", "user__email", "user__last_name"]
    list_select_related = ["user", "document"]
    readonly_fields = ["user", "document", "accepted_at", "ip_address"]
