"""Shared pieces of the office's admin."""


class ReadOnlyAdminMixin:
    """For records nobody edits in the admin — logs, consents, outbox rows: they are only looked at.

    Works on ModelAdmin and on inlines (whose permission methods also receive `obj`).
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
