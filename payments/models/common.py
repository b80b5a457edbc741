"""What the payments models share: money fields are Decimal euro with two places."""

from typing import Any

EURO: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}
