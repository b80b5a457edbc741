"""The office's review queue: every enrollment, filtered and searched, decided one by one or in bulk.

Every decision goes through a service (enrollment.services), never `queryset.update`: the services lock the
rows, check the transition, write the event and queue the e-mails. Bulk actions report how many were done and
how many were skipped (not in a state that allows the action).

Health data never shows in the list, which has the diet's status only. The page shows the kind of diet only to
staff with `view_health_data`, and the medical details are only on the separate "Dieta medica" page
(admin_health), where every view is recorded. Notes of diet decisions in the history follow the same rule.
The list runs in a constant number of queries: related rows are joined, the waiting position and the ISEE
flag are computed in the same query.
"""

from django.contrib import admin
from django.db.models import Case, CharField, F, Q, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.admin_mixins import ReadOnlyAdminMixin

from ..models import HEALTH_PERMISSION, Enrollment, EnrollmentEvent
from ..selectors import waitlist_position_annotate
from ..tariffs import tariff_explain
from .actions import ActionViews
from .bulk import BulkActions

ISEE_MISSING, ISEE_EXPIRED, ISEE_EXPIRED_ACCEPTED, ISEE_VALID = "missing", "expired", "accepted", "valid"
ISEE_PURGED = "purged"
ISEE_LABELS: dict[str | None, object] = {
    ISEE_PURGED: _("cancellato (tempi di conservazione)"),
    ISEE_MISSING: _("mancante"),
    ISEE_EXPIRED: _("scaduto"),
    ISEE_EXPIRED_ACCEPTED: _("scaduto, accettato"),
    ISEE_VALID: _("presente"),
}


def isee_flag_expression():
    """The ISEE's state in SQL: missing, expired (at submission, or today for a draft), accepted anyway, valid."""
    reference_day = Coalesce(TruncDate("submitted_at"), Value(timezone.localdate()))
    missing = Q(isee_presented__isnull=True) | Q(isee_presented=False) | Q(isee_amount__isnull=True)
    expired = Q(isee_expires_on__isnull=False, isee_expires_on__lt=reference_day)
    return Case(
        When(isee_purged_at__isnull=False, then=Value(ISEE_PURGED)),
        When(missing, then=Value(ISEE_MISSING)),
        When(expired & Q(isee_expired_accepted=True), then=Value(ISEE_EXPIRED_ACCEPTED)),
        When(expired, then=Value(ISEE_EXPIRED)),
        default=Value(ISEE_VALID),
        output_field=CharField(),
    )


class IseeListFilter(admin.SimpleListFilter):
    title = _("ISEE")
    parameter_name = "isee"

    def lookups(self, request, model_admin):
        return [
            (ISEE_MISSING, _("mancante")),
            (ISEE_EXPIRED, _("scaduto (da accettare)")),
            (ISEE_VALID, _("presente (valido o scaduto accettato)")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == ISEE_VALID:
            return queryset.filter(isee_flag__in=[ISEE_VALID, ISEE_EXPIRED_ACCEPTED])
        if value in (ISEE_MISSING, ISEE_EXPIRED):
            return queryset.filter(isee_flag=value)
        return queryset


class EnrollmentEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Who did what and when. The notes of diet decisions are shown only with the health data permission."""

    model = EnrollmentEvent
    extra = 0
    can_delete = False
    fields = ("at", "action_label", "from_status", "to_status", "actor", "shown_note")
    readonly_fields = fields
    verbose_name_plural = _("storia dell'iscrizione (chi e quando)")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("enrollment.view_enrollment")  # the history is part of the enrollment

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("actor")
        if request.user.has_perm(HEALTH_PERMISSION):
            return queryset.annotate(shown_note=F("note"))
        # Without the permission even the fact that medical data existed stays hidden.
        return queryset.exclude(action="diet_medical_purged").annotate(
            shown_note=Case(
                When(action__startswith="diet_", then=Value("")), default=F("note"), output_field=CharField()
            )
        )

    @admin.display(description=_("azione"))
    def action_label(self, obj: EnrollmentEvent) -> str:
        return obj.action_label

    @admin.display(description=_("nota"))
    def shown_note(self, obj: EnrollmentEvent) -> str:
        return getattr(obj, "shown_note", "") or "—"


STATUS_STYLE: dict[str, str] = {
    Enrollment.Status.DRAFT: "draft",
    Enrollment.Status.SUBMITTED: "submitted",
    Enrollment.Status.ACCEPTED: "accepted",
    Enrollment.Status.WAITLISTED: "waitlisted",
    Enrollment.Status.REJECTED: "rejected",
    Enrollment.Status.WITHDRAWN: "withdrawn",
}


@admin.register(Enrollment)
class EnrollmentAdmin(ActionViews, BulkActions, admin.ModelAdmin):
    # What a clerk decides on comes first and fits 1280 px without scrolling: the school year is a filter, the child's
    # codice fiscale sits under the name, the class beside the school.
    list_display = [
        "protocol",
        "child_name",
        "status_badge",
        "submitted_short",
        "isee_display",
        "service",
        "school_and_class",
        "diet_status",
        "waiting_position",
    ]
    list_display_links = ["protocol", "child_name"]
    list_filter = [
        "service",
        "school_year",
        "school",
        "status",
        ("diet_status", admin.ChoicesFieldListFilter),
        IseeListFilter,
    ]
    list_select_related = ["child", "service", "school_year", "school", "school_class"]
    # What a parent gives on the phone: the child's or their own name, codice fiscale or e-mail, or the protocol.
    search_fields = [
        "protocol",
        "child__first_name",
        "child__last_name",
        "child__codice_fiscale",
        "child__guardianships__adult__first_name",
        "child__guardianships__adult__last_name",
        "child__guardianships__adult__codice_fiscale",
        "child__guardianships__adult__email",
    ]
    search_help_text = _(
        "Cerca per protocollo, nome, cognome o codice fiscale del bambino, oppure nome, cognome, codice fiscale o "
        "e-mail di un adulto della famiglia."
    )
    ordering = [F("submitted_at").desc(nulls_last=True), "-pk"]  # type: ignore[list-item]  # drafts last; stubs want str
    list_per_page = 100
    show_full_result_count = False
    inlines = [EnrollmentEventInline]
    change_list_template = "admin/enrollment/enrollment/change_list.html"
    change_form_template = "admin/enrollment/enrollment/change_form.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "protocol",
                    "child_link",
                    "service",
                    "school_year",
                    "status_badge",
                    "waiting_position",
                    "waitlist_rank",
                    "submitted_at",
                    "submitted_by",
                    "decided_at",
                    "rejection_reason",
                    "created_by",
                    "created_at",
                ]
            },
        ),
        (_("Scuola"), {"fields": ["school", "school_class", "resident"]}),
        (
            _("ISEE"),
            {"fields": ["isee_display", "isee_presented", "isee_amount", "isee_protocol", "isee_expires_on"]},
        ),
        (_("Dieta"), {"fields": ["diet_status", "diet_display"]}),
        (_("Trasporto"), {"fields": ["route", "stop", "direction", "pickup_adults"]}),
        (
            _("Tariffa"),
            {"fields": ["tariff_amount", "tariff_lines", "sibling_rank", "exemption_percent", "exemption_reason"]},
        ),
    ]

    # --- permissions: nothing is added, edited as a form or deleted here ----------------------------

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_health_permission(self, request) -> bool:
        return request.user.has_perm(HEALTH_PERMISSION)

    def has_diet_decide_permission(self, request) -> bool:
        """Deciding a diet means reading the medical request: change permission and health data permission."""
        return self.has_change_permission(request) and self.has_health_permission(request)

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, options in self.get_fieldsets(request, obj) for name in options["fields"]]

    def get_queryset(self, request):
        return waitlist_position_annotate(queryset=super().get_queryset(request)).annotate(
            isee_flag=isee_flag_expression()
        )

    def get_urls(self):
        return [*self.action_urls(), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            **self.action_context(request, object_id),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    # --- columns and read-only facts -----------------------------------------------------------

    @admin.display(description=_("bambino"), ordering="child__last_name")
    def child_name(self, obj: Enrollment) -> str:
        return format_html(
            '{} {}<br><small class="enrollment-cf">{}</small>',
            obj.child.last_name,
            obj.child.first_name,
            obj.child.codice_fiscale,
        )

    @admin.display(description=_("inviata il"), ordering="submitted_at")
    def submitted_short(self, obj: Enrollment) -> str:
        if obj.submitted_at is None:
            return "—"
        when = timezone.localtime(obj.submitted_at)
        return format_html("{}<br><small>{}</small>", when.strftime("%d/%m/%Y"), when.strftime("%H:%M"))

    @admin.display(description=_("scuola e classe"), ordering="school__name")
    def school_and_class(self, obj: Enrollment) -> str:
        if obj.school is None:
            return "—"
        if obj.school_class is None:
            return obj.school.name
        return format_html("{}<br><small>{}</small>", obj.school.name, obj.school_class.name)

    @admin.display(description=_("bambino"))
    def child_link(self, obj: Enrollment) -> str:
        url = reverse("admin:accounts_child_change", args=[obj.child_id])
        return format_html(
            '<a href="{}">{} {} ({})</a>', url, obj.child.first_name, obj.child.last_name, obj.child.codice_fiscale
        )

    @admin.display(description=_("stato"), ordering="status")
    def status_badge(self, obj: Enrollment) -> str:
        return format_html(
            '<span class="enrollment-status enrollment-status-{}">{}</span>',
            STATUS_STYLE.get(obj.status, "draft"),
            obj.get_status_display(),
        )

    @admin.display(description=_("dieta"), ordering="diet_status")
    def diet_status(self, obj: Enrollment) -> str:
        return obj.get_diet_status_display() if obj.diet_status != Enrollment.DietStatus.NONE else "—"

    @admin.display(description=_("ISEE"), ordering="isee_flag")
    def isee_display(self, obj: Enrollment) -> str:
        flag = getattr(obj, "isee_flag", None)
        label = str(ISEE_LABELS.get(flag, "—"))
        if flag in (ISEE_MISSING, ISEE_EXPIRED):
            return format_html('<strong class="enrollment-isee-warning">{}</strong>', label)
        return label

    @admin.display(description=_("posto in lista d'attesa"), ordering="waitlist_position")
    def waiting_position(self, obj: Enrollment):
        position = getattr(obj, "waitlist_position", None)
        return position if position is not None else "—"

    @admin.display(description=_("tipo di dieta"))
    def diet_hidden(self, obj: Enrollment) -> str:
        return gettext("Visibile solo a chi può vedere i dati sanitari.")

    @admin.display(description=_("tipo di dieta"))
    def diet_display(self, obj: Enrollment) -> str:
        text = obj.get_diet_display()
        if obj.diet_note and obj.diet != Enrollment.Diet.MEDICAL:
            text = f"{text}: {obj.diet_note}"
        if obj.diet == Enrollment.Diet.MEDICAL and obj.health_data_purged_at is not None:
            return gettext(
                "%(diet)s — indicazioni mediche e certificato cancellati il %(date)s (tempi di conservazione)"
            ) % {
                "diet": text,
                "date": date_format(timezone.localtime(obj.health_data_purged_at), "d/m/Y"),
            }
        if obj.diet == Enrollment.Diet.MEDICAL:
            url = reverse("admin:enrollment_enrollment_medical_diet", args=[obj.pk])
            return format_html('{} — <a href="{}">{}</a>', text, url, gettext("apri la dieta medica"))
        return text

    @admin.display(description=_("calcolo"))
    def tariff_lines(self, obj: Enrollment) -> str:
        lines = tariff_explain(obj.tariff_steps, obj.service.unit) if obj.tariff_steps else []
        if not lines:
            return "—"
        return format_html("<ol>{}</ol>", format_html_join("", "<li>{}</li>", ((line,) for line in lines)))

    def get_fieldsets(self, request, obj=None):
        if self.has_health_permission(request):
            return self.fieldsets
        # Without the health permission the kind of diet is not shown at all (nor its note).
        return [
            (title, {**options, "fields": ["diet_hidden" if f == "diet_display" else f for f in options["fields"]]})
            for title, options in self.fieldsets
        ]
