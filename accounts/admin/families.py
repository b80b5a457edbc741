"""The office's view of families: children, their adults, every change with who and why."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portal.admin_mixins import ReadOnlyAdminMixin
from portal.errors import DomainError, form_error_add

from ..models import Child, DeletionRequest, FamilyEvent, Guardianship, User
from ..privacy import deletion_request_handle
from ..services import family_summary_invalidate, reference_change
from ..validators import validate_codice_fiscale

_GUARDIANSHIP_INLINE_FIELDS = ("adult", "role", "granted_by", "granted_at", "revoked_by", "revoked_at")


class GuardianshipInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Guardianship
    fk_name = "child"
    extra = 0
    fields = _GUARDIANSHIP_INLINE_FIELDS
    readonly_fields = _GUARDIANSHIP_INLINE_FIELDS
    ordering = ["revoked_at", "role"]


_FAMILY_EVENT_INLINE_FIELDS = ("at", "action", "actor", "subject", "reason")


class FamilyEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = FamilyEvent
    extra = 0
    fields = _FAMILY_EVENT_INLINE_FIELDS
    readonly_fields = _FAMILY_EVENT_INLINE_FIELDS


class ReferenceChangeForm(forms.Form):
    new_adult_codice_fiscale = forms.CharField(
        label=_("Codice fiscale del nuovo adulto di riferimento"),
        max_length=30,
        help_text=_("L'adulto deve essere registrato sul portale."),
    )
    reason = forms.CharField(
        label=_("Motivo"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Ad esempio: provvedimento del tribunale, genitori separati, richiesta scritta del genitore."),
    )

    def clean_new_adult_codice_fiscale(self) -> User:
        cf = validate_codice_fiscale(self.cleaned_data["new_adult_codice_fiscale"])
        adult = User.objects.filter(codice_fiscale=cf, is_active=True).first()
        if adult is None:
            raise ValidationError(_("Nessun utente registrato con questo codice fiscale."), code="unknown")
        return adult


@admin.register(Child)
class ChildAdmin(admin.ModelAdmin):
    list_display = ["codice_fiscale", "last_name", "first_name", "birth_date", "school", "class_name"]
    search_fields = [
        "codice_fiscale",
        "first_name",
        "last_name",
        "guardianships__adult__codice_fiscale",
        "guardianships__adult__last_name",
        "guardianships__adult__email",
    ]
    list_filter = ["school"]
    list_select_related = ["school"]
    readonly_fields = ["codice_fiscale", "birth_date", "sex", "imported_from", "created_at"]
    fields = [
        "codice_fiscale",
        "first_name",
        "last_name",
        "birth_date",
        "sex",
        "school",
        "class_name",
        "office_notes",
        "imported_from",
        "created_at",
    ]
    inlines = [GuardianshipInline, FamilyEventInline]
    change_form_template = "admin/accounts/child/change_form.html"

    @classmethod
    def inline_add(cls, inline: type[admin.options.InlineModelAdmin]) -> None:
        """The apps above accounts add their read-only view of a child (enrollments, notices, balances) here:
        accounts cannot import them. The child's own data stays first."""
        if inline not in cls.inlines:
            cls.inlines = [*cls.inlines, inline]

    def save_model(self, request, obj, form, change):
        """The office corrects a child's name, school or class: the families' pages show them."""
        super().save_model(request, obj, form, change)
        family_summary_invalidate(child_ids=[obj.pk])

    def delete_model(self, request, obj):
        family_summary_invalidate(child_ids=[obj.pk])  # before: the guardianships go with the child
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        family_summary_invalidate(child_ids=list(queryset.values_list("pk", flat=True)))
        super().delete_queryset(request, queryset)

    def get_urls(self):
        return [
            path(
                "<id:object_id>/cambia-riferimento/",
                self.admin_site.admin_view(self.reference_change_view),
                name="accounts_child_reference_change",
            ),
            *super().get_urls(),
        ]

    def reference_change_view(self, request, object_id: int):
        if not self.has_change_permission(request):
            raise PermissionDenied
        child = get_object_or_404(Child, pk=object_id)
        form = ReferenceChangeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reference_change(
                    actor=request.user,
                    child=child,
                    new_adult=form.cleaned_data["new_adult_codice_fiscale"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as error:
                form_error_add(form, error)
            else:
                self.message_user(request, gettext("Adulto di riferimento cambiato."), messages.SUCCESS)
                return redirect(reverse("admin:accounts_child_change", args=[child.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Cambia l'adulto di riferimento di %(child)s") % {"child": child},
            "child": child,
            "form": form,
            "opts": self.model._meta,
            "guardianships": child.guardianships.filter(revoked_at__isnull=True).select_related("adult"),
        }
        return TemplateResponse(request, "admin/accounts/child/reference_change.html", context)


@admin.register(FamilyEvent)
class FamilyEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "action", "child", "actor", "subject", "reason"]
    list_filter = ["action"]
    search_fields = ["child__codice_fiscale", "child__last_name", "actor__codice_fiscale", "subject__codice_fiscale"]
    list_select_related = ["child", "actor", "subject"]
    date_hierarchy = "at"
    readonly_fields = ["at", "action", "child", "actor", "subject", "reason"]


@admin.register(DeletionRequest)
class DeletionRequestAdmin(admin.ModelAdmin):
    list_display = ["requested_at", "user_label", "status", "handled_by", "handled_at"]
    list_filter = ["status"]
    search_fields = ["user_label", "user__codice_fiscale", "user__email"]
    readonly_fields = [
        "user",
        "user_label",
        "reason",
        "status",
        "requested_at",
        "handled_by",
        "handled_at",
        "outcome_note",
    ]
    actions = ["handle"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Esegui le richieste selezionate (cancella o anonimizza)"), permissions=["change"])
    def handle(self, request, queryset):
        done = 0
        for deletion_request in queryset.filter(status=DeletionRequest.Status.PENDING):
            deletion_request_handle(actor=request.user, request=deletion_request)
            done += 1
        self.message_user(
            request,
            ngettext("%(count)d richiesta eseguita.", "%(count)d richieste eseguite.", done) % {"count": done},
            messages.SUCCESS,
        )
