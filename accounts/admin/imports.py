"""Back office of the families imported from the Comune's records, with the CSV import (upload, preview, confirm).

The uploaded file is kept under MEDIA_ROOT/imports/<random token>.csv between the preview and the
confirmation; the form carries only the token, which must also be in the uploader's session, and the path is
always rebuilt from it. The file is deleted once applied (or refused); stale uploads are removed after a day.
"""

import re
import secrets
import time
from pathlib import Path
from typing import cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.admin_mixins import ReadOnlyAdminMixin

from ..imports import (
    MAX_FILE_BYTES,
    ImportReport,
    expected_columns_text,
    families_import_apply,
    families_import_validate,
)
from ..letters import print_activation_letters
from ..models import Child, ImportedAdult, User
from ..validators import validate_codice_fiscale

PREVIEW_MAX_ERRORS = 200
UPLOAD_DIR = "imports"
UPLOAD_MAX_AGE_SECONDS = 24 * 3600
SESSION_KEY = "accounts:families-import-tokens"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


class FamiliesImportForm(forms.Form):
    file = forms.FileField(label=_("File CSV delle famiglie"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(
                _("Il file è troppo grande: al massimo %(max)d MB."), params={"max": MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload


class ImportedAdultForm(forms.ModelForm):
    class Meta:
        model = ImportedAdult
        fields = ["codice_fiscale", "first_name", "last_name", "email"]

    def clean_codice_fiscale(self) -> str:
        return validate_codice_fiscale(self.cleaned_data["codice_fiscale"])


_IMPORTED_CHILD_INLINE_FIELDS = (
    "codice_fiscale",
    "first_name",
    "last_name",
    "birth_date",
    "sex",
    "school",
    "class_name",
)


class ImportedChildInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Child
    fk_name = "imported_from"
    fields = _IMPORTED_CHILD_INLINE_FIELDS
    readonly_fields = _IMPORTED_CHILD_INLINE_FIELDS
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("figlio importato")
    verbose_name_plural = _("figli importati")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("school")


@admin.register(ImportedAdult)
class ImportedAdultAdmin(admin.ModelAdmin):
    form = ImportedAdultForm
    actions = [print_activation_letters]
    list_display = [
        "codice_fiscale",
        "last_name",
        "first_name",
        "email",
        "children_count",
        "letter_issued_at",
        "claimed_by",
        "imported_at",
    ]
    list_filter = [("claimed_at", admin.EmptyFieldListFilter), ("letter_issued_at", admin.EmptyFieldListFilter)]
    search_fields = ["codice_fiscale", "first_name", "last_name", "email"]
    list_select_related = ["claimed_by"]
    fields = [
        "codice_fiscale",
        "first_name",
        "last_name",
        "email",
        "letter_issued_at",
        "claimed_by",
        "claimed_at",
        "imported_at",
    ]
    readonly_fields = ["letter_issued_at", "claimed_by", "claimed_at", "imported_at"]
    inlines = [ImportedChildInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(children_count=Count("children"))

    @admin.display(description=_("figli"), ordering="children_count")
    def children_count(self, obj: ImportedAdult) -> int:
        return obj.children_count  # type: ignore[attr-defined]  # annotated by get_queryset

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # the CF is what imports and claims match on: fixed once the adult exists
            return ["codice_fiscale", *self.readonly_fields]
        return self.readonly_fields

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("importa/", self.admin_site.admin_view(self.import_view), name="{}_{}_import".format(*info)),
            *super().get_urls(),
        ]

    # --- the import ------------------------------------------------------------------------------

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST" and "token" in request.POST:
            return self._import_confirm(request)
        form = FamiliesImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            token: str | None
            token, upload = _upload_store(request, form.cleaned_data["file"])
            report = families_import_validate(file=upload)
            if report.has_errors:
                _upload_delete(request, token)
                token = None
            return self._preview(request, report, token)
        return TemplateResponse(
            request,
            "admin/accounts/importedadult/import_form.html",
            {
                **self._context(request, gettext("Importa famiglie")),
                "form": form,
                "columns": expected_columns_text(),
                "max_mb": MAX_FILE_BYTES // (1024 * 1024),
            },
        )

    def _import_confirm(self, request: HttpRequest) -> HttpResponse:
        token = request.POST.get("token", "")
        upload = _upload_path(request, token)
        if upload is None:
            messages.error(
                request, gettext("Il file caricato non è più disponibile o è già stato importato: caricalo di nuovo.")
            )
            return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
        if "cancel" in request.POST:
            _upload_delete(request, token)
            messages.info(request, gettext("Importazione annullata: nessun dato è stato importato."))
            return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        try:
            report = families_import_apply(file=upload, actor=cast(User, request.user))  # the admin: staff
        finally:
            _upload_delete(request, token)
        if report.has_errors:  # the portal changed since the preview (a child linked meanwhile, say)
            return self._preview(request, report, None)
        messages.success(
            request,
            gettext(
                "Importazione completata. Adulti: %(ac)d creati, %(au)d aggiornati. Bambini: %(cc)d creati, "
                "%(cu)d aggiornati. Righe senza modifiche: %(unchanged)d."
            )
            % {
                "ac": report.adults_created,
                "au": report.adults_updated,
                "cc": report.children_created,
                "cu": report.children_updated,
                "unchanged": report.rows_unchanged,
            },
        )
        return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")

    def _preview(self, request: HttpRequest, report: ImportReport, token: str | None) -> HttpResponse:
        errors = report.sorted_errors()
        return TemplateResponse(
            request,
            "admin/accounts/importedadult/import_preview.html",
            {
                **self._context(request, gettext("Anteprima dell'importazione")),
                "report": report,
                "errors": errors[:PREVIEW_MAX_ERRORS],
                "errors_hidden": report.error_count - min(len(errors), PREVIEW_MAX_ERRORS),
                "token": token,
            },
        )

    def _context(self, request: HttpRequest, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "has_view_permission": self.has_view_permission(request),
        }


# --- the uploaded file between preview and confirmation -----------------------------------------


def _upload_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / UPLOAD_DIR


def _upload_store(request: HttpRequest, uploaded) -> tuple[str, Path]:
    directory = _upload_dir()
    directory.mkdir(parents=True, exist_ok=True)
    _upload_purge_stale(directory)
    token = secrets.token_hex(16)
    upload = directory / f"{token}.csv"
    with open(upload, "xb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)
    request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, [])[-9:], token]
    return token, upload


def _upload_path(request: HttpRequest, token: str) -> Path | None:
    """The stored upload for a token this user received, or None: never a path from the client."""
    if not _TOKEN.match(token) or token not in request.session.get(SESSION_KEY, []):
        return None
    upload = _upload_dir() / f"{token}.csv"
    return upload if upload.is_file() else None


def _upload_delete(request: HttpRequest, token: str) -> None:
    if _TOKEN.match(token):
        (_upload_dir() / f"{token}.csv").unlink(missing_ok=True)
    request.session[SESSION_KEY] = [t for t in request.session.get(SESSION_KEY, []) if t != token]


def _upload_purge_stale(directory: Path) -> None:
    cutoff = time.time() - UPLOAD_MAX_AGE_SECONDS
    for stale in directory.glob("*.csv"):
        try:
            if stale.stat().st_mtime < cutoff:
                stale.unlink(missing_ok=True)
        except OSError:  # removed meanwhile by another request
            continue
