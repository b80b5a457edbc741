"""The portal-wide privacy registry: what each app knows about a person, and what it must keep.

Each app registers, when its privacy module is imported:
- an exporter, `function(user) -> JSON-serialisable data` (dates and datetimes are fine: the export's
  encoder writes them in ISO 8601), which becomes one section of the user's data export;
- optionally a retention check, `function(user) -> str | None`: a reason, for the user and the office, why
  the account must be anonymised rather than deleted (e.g. payment records the law requires to keep).

Registering a name again replaces the earlier function (a module imported twice does not duplicate).
"""

import datetime
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

Exporter = Callable[[Any], Any]
RetentionCheck = Callable[[Any], str | None]

_exporters: dict[str, Exporter] = {}
_retention_checks: dict[str, RetentionCheck] = {}


def register_exporter(name: str, function: Exporter) -> Exporter:
    _exporters[name] = function
    return function


def register_retention_check(name: str, function: RetentionCheck) -> RetentionCheck:
    _retention_checks[name] = function
    return function


def exporters() -> dict[str, Exporter]:
    return dict(sorted(_exporters.items()))


def retention_checks() -> dict[str, RetentionCheck]:
    return dict(sorted(_retention_checks.items()))


def personal_data_collect(*, user) -> dict[str, Any]:
    """Every registered section of the user's data, by exporter name."""
    return {name: function(user) for name, function in exporters().items()}


def retention_reasons(*, user) -> list[str]:
    """Why the user's account must be anonymised rather than deleted (empty: it may be deleted)."""
    reasons = []
    for function in retention_checks().values():
        reason = function(user)
        if reason:
            reasons.append(str(reason))
    return reasons


class ExportJSONEncoder(DjangoJSONEncoder):
    """ISO 8601 dates; aware datetimes in the portal's time zone (what the user saw on the pages)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime) and timezone.is_aware(o):
            return timezone.localtime(o).isoformat(timespec="seconds")
        return super().default(o)
