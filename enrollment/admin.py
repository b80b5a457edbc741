"""The office's admin of enrollment: configuration, review queue, health data, exports (one module each)."""

from . import admin_config, admin_health, admin_review  # noqa: F401 - they register the models' admin
