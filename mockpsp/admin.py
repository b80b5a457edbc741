"""The fake's tables in the admin, read-only (the app is installed only where the fake is enabled)."""

from django.contrib import admin

from portal.admin_mixins import ReadOnlyAdminMixin

from .models import Checkout, DebtPosition, PaymentOption, Receipt, ReceiptDelivery

_OPTION_FIELDS = ("nav", "iuv", "amount_cents", "due_date", "is_partial_payment", "status", "paid_at")


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class PaymentOptionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PaymentOption
    extra = 0
    fields = _OPTION_FIELDS
    readonly_fields = _OPTION_FIELDS


@admin.register(DebtPosition)
class DebtPositionAdmin(ReadOnlyAdmin):
    list_display = ["iupd", "organization_fiscal_code", "status", "payer_name", "created_at"]
    list_filter = ["status"]
    search_fields = ["iupd", "options__nav", "options__iuv"]
    inlines = [PaymentOptionInline]


@admin.register(Checkout)
class CheckoutAdmin(ReadOnlyAdmin):
    list_display = ["token", "state", "psp_id", "created_at", "closed_at"]
    list_filter = ["state"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["receipt_id", "option", "created_at"]
    search_fields = ["receipt_id", "option__nav"]


@admin.register(ReceiptDelivery)
class ReceiptDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["pk", "receipt", "attempts", "deliver_after", "delivered_at", "last_status", "last_error"]
    list_filter = ["delivered_at"]
