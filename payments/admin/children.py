"""A child's notices and balances on the child's admin page (the office answers a family's call from one page)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin.families import ChildAdmin
from portal.admin_mixins import ReadOnlyAdminMixin

from ..models import Balance, PaymentNotice
from .money import money_column

_NOTICE_FIELDS = ("notice_link", "causale", "amount_euro", "due_date", "status")
_BALANCE_FIELDS = ("service_kind", "amount_euro", "entries_link")


class ChildNoticeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PaymentNotice
    fk_name = "child"
    extra = 0
    verbose_name = _("avviso di pagamento")
    verbose_name_plural = _("avvisi di pagamento")
    fields = _NOTICE_FIELDS
    readonly_fields = _NOTICE_FIELDS
    ordering = ["-due_date", "-pk"]
    amount_euro = money_column("amount", _("importo"))

    @admin.display(description=_("avviso"))
    def notice_link(self, notice: PaymentNotice) -> str:
        url = reverse("admin:payments_paymentnotice_change", args=[notice.pk])
        return format_html('<a href="{}">{}</a>', url, notice.iupd)


class ChildBalanceInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Balance
    fk_name = "child"
    extra = 0
    verbose_name = _("saldo")
    verbose_name_plural = _("saldi")
    fields = _BALANCE_FIELDS
    readonly_fields = _BALANCE_FIELDS
    amount_euro = money_column("amount", _("saldo"))

    @admin.display(description=_("movimenti"))
    def entries_link(self, balance: Balance) -> str:
        url = reverse("admin:payments_ledgerentry_changelist")
        return format_html(
            '<a href="{}?child__id__exact={}&amp;service_kind__exact={}">{}</a>',
            url,
            balance.child_id,
            balance.service_kind,
            _("vedi i movimenti"),
        )


ChildAdmin.inline_add(ChildBalanceInline)
ChildAdmin.inline_add(ChildNoticeInline)
