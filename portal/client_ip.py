"""The client's address, read one way everywhere (rate limits, consents, webhooks, audit logs)."""

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client address as the first trusted proxy saw it (REMOTE_ADDR behind gunicorn/nginx)."""
    return request.META.get("REMOTE_ADDR") or None
