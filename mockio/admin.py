from django.contrib import admin

from .models import Message, Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["fiscal_code", "inbox_enabled", "blocked_services"]
    search_fields = ["fiscal_code"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "service", "fiscal_code", "status", "created_at"]
    list_filter = ["status", "service"]
