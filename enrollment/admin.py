from django.contrib import admin

from .models import School


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "ministry_code", "address"]
    list_filter = ["kind"]
    search_fields = ["name", "ministry_code"]
