"""The office's admin of enrollment: configuration, review queue, health data, exports (one module each).

Django autodiscovers `enrollment.admin`: importing the submodules here registers the models' admin.
"""

from . import children, config, health, review  # noqa: F401 - they register the models' admin
