"""The office's notices: read-only pages with options, receipts and the notice's life (its events), the cancel
action (asks the reason; the service cancels on the platform first) and the "Emetti un avviso" page
(`notice_issue`: a one-off notice, with the `add_paymentnotice` permission)."""

from typing import cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from portal.admin_mixins import ReadOnlyAdminMixin
from portal.errors import DomainError

from .. import pagopa, services
from ..models import PaymentNotice, PaymentNoticeEvent, PaymentOption, Receipt
from .money import money_column
from .notice_issue import ISSUE_PERMISSION, notice_issue_view

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


OPTION_FIELDS = ("instalment", "notice_number_printed", "iuv", "amount_euro", "due_date", "paid_at")


class PaymentOptionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PaymentOption
    extra = 0
    fields = readonly_fields = OPTION_FIELDS
    verbose_name_plural = _("opzioni di pagamento (0 = unica soluzione)")
    amount_euro = money_column("amount", _("importo"))

    @admin.display(description=_("codice avviso"))
    def notice_number_printed(self, option: PaymentOption) -> str:
        return option.notice_number_grouped


RECEIPT_INLINE_FIELDS = ("receipt_id", "paid_at", "amount_euro", "fee_euro", "psp_name", "flagged", "flag_reason")


class ReceiptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Receipt
    extra = 0
    fields = readonly_fields = RECEIPT_INLINE_FIELDS
    show_change_link = True
    amount_euro = money_column("amount", _("importo"))
    fee_euro = money_column("fee", _("commissione"))


EVENT_FIELDS = ("at", "action", "from_status", "to_status", "actor_kind", "actor", "reason")


class PaymentNoticeEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The notice's life, oldest first: who or what did what, when and why."""

    model = PaymentNoticeEvent
    extra = 0
    fields = readonly_fields = EVENT_FIELDS
    ordering = ["at", "pk"]
    verbose_name_plural = _("registro dell'avviso")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class NoticeCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Motivo dell'annullamento"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Il pagatore lo legge nell'e-mail di annullamento e sulla pagina dell'avviso: scrivilo per lui. Resta "
            "nel registro dell'avviso e, per le rette, nel movimento che storna l'addebito."
        ),
    )


@admin.register(PaymentNotice)
class PaymentNoticeAdmin(admin.ModelAdmin):
    list_display = [
        "causale",
        "child",
        "service_kind",
        "purpose",
        "amount_euro",
        "due_date",
        "status",
        "platform_state",
        "flagged",
        "payer_fiscal_code",
    ]
    list_filter = ["status", "service_kind", "flagged", "purpose", "platform_state"]
    search_fields = [
        "payer_fiscal_code",
        "payer_name",
        "child__codice_fiscale",
        "child__last_name",
        "=options__notice_number",
        "=options__iuv",
        "=iupd",
        "causale",
    ]
    search_help_text = _("Codice fiscale (pagatore o bambino), cognome del bambino, codice avviso, IUV o causale.")
    list_select_related = ["child"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    inlines = [PaymentOptionInline, ReceiptInline, PaymentNoticeEventInline]
    actions = ["cancel_notices", "republish_notices"]
    change_list_template = "admin/payments/paymentnotice/change_list.html"
    fieldsets = [
        (None, {"fields": ["causale", "amount_euro", "due_date", "status", "flagged", "purpose", "service_kind"]}),
        (_("Chi"), {"fields": ["child", "enrollment", "payer", "payer_fiscal_code", "payer_name"]}),
        (_("pagoPA"), {"fields": ["iupd", "platform_state", "platform_error", "pdf"]}),
        (
            _("Registro"),
            {"fields": ["created_by", "created_at", "paid_at", "closed_at", "closed_by", "closed_reason"]},
        ),
    ]

    amount_euro = money_column("amount", _("importo"))

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + ["amount_euro"]

    def has_add_permission(self, request):
        return False  # no model form: the office issues through its own page ("Emetti un avviso", below)

    def has_issue_permission(self, request) -> bool:
        return request.user.has_perm(ISSUE_PERMISSION)

    def get_urls(self):
        issue = path(
            "emetti/",
            self.admin_site.admin_view(lambda request: notice_issue_view(self, request)),
            name="payments_paymentnotice_issue",
        )
        return [issue, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra = {"has_issue_permission": self.has_issue_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # read-only page; the cancel action needs its own permission (below)

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("payments.change_paymentnotice")

    def get_search_results(self, request, queryset, search_term):
        """A codice avviso typed with spaces ("3010 0000 …") is found too."""
        compact = pagopa.notice_number_normalise(search_term)
        if compact.isdigit() and len(compact) in (17, 18):
            matches = queryset.filter(options__notice_number=compact) | queryset.filter(options__iuv=compact)
            return matches.distinct(), True
        return super().get_search_results(request, queryset, search_term)

    @admin.action(description=_("Invia di nuovo alla piattaforma gli avvisi rifiutati"), permissions=["cancel"])
    def republish_notices(self, request: HttpRequest, queryset):
        """After the cause of a refusal is fixed (the platform's reason is on each notice): send them again."""
        published, refused = 0, []
        for notice in queryset.order_by("pk"):
            try:
                state = services.notice_publish_retry(notice_id=notice.pk, actor=cast(User, request.user))
            except DomainError as error:
                refused.append(f"«{notice.causale}»: {error}")
                continue
            if state:
                published += 1
            else:
                notice.refresh_from_db()
                refused.append(
                    f"«{notice.causale}»: {notice.platform_error or gettext('la piattaforma non risponde')}"
                )
        if published:
            self.message_user(
                request,
                ngettext("%(count)d avviso pubblicato.", "%(count)d avvisi pubblicati.", published)
                % {"count": published},
                messages.SUCCESS,
            )
        for line in refused:
            self.message_user(request, gettext("Non pubblicato: %(why)s") % {"why": line}, messages.ERROR)

    @admin.action(description=_("Annulla avviso (chiede il motivo)"), permissions=["cancel"])
    def cancel_notices(self, request: HttpRequest, queryset):
        form = NoticeCancelForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done, refused = 0, []
            for notice in queryset.order_by("pk"):
                try:
                    services.notice_cancel(
                        notice_id=notice.pk, actor=cast(User, request.user), reason=form.cleaned_data["reason"]
                    )
                except DomainError as error:
                    refused.append(f"«{notice.causale}»: {error}")
                else:
                    done += 1
            if done:
                self.message_user(
                    request,
                    ngettext("%(count)d avviso annullato.", "%(count)d avvisi annullati.", done) % {"count": done},
                    messages.SUCCESS,
                )
            for line in refused:
                self.message_user(request, gettext("Non annullato: %(why)s") % {"why": line}, messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Annulla avvisi di pagamento"),
            "opts": self.model._meta,
            "form": form,
            "notices": queryset.select_related("child").order_by("pk"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "cancel_notices",
        }
        return TemplateResponse(request, "admin/payments/paymentnotice/cancel.html", context)
