"""What the fake IO checks and does, written from IO's services API (pagopa/io-functions-services
`openapi/index.yaml`: NewMessage, MessageContent, PaymentData, FiscalCode; the handlers' behaviour as
shared/io-pwa.md records it): every rule the real API applies to what we send, answered as it answers."""

import datetime
import re
import secrets
import time

from django.conf import settings
from django.utils import timezone

from .models import Behaviour, Message, Profile

FISCAL_CODE = re.compile(r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$")
NOTICE_NUMBER = re.compile(r"^[0123][0-9]{17}$")
ORGANIZATION_FISCAL_CODE = re.compile(r"^[0-9]{11}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class Refusal(Exception):
    def __init__(self, status: int, title: str, detail: str = "") -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail


def service_of_key(key: str) -> str | None:
    """The service a use key belongs to (the fake's keys are the portal's configured ones)."""
    for kind, service in settings.IO_SERVICES.items():
        if key and secrets.compare_digest(key, service.get("key") or ""):
            return kind
    return None


def behaviour_check() -> None:
    behaviour = Behaviour.current()
    if behaviour.down:
        raise Refusal(500, "The message cannot be delivered", "fake IO: down on demand")
    if behaviour.throttled_until and behaviour.throttled_until > timezone.now():
        raise Refusal(429, "Too many requests")


def ulid() -> str:
    stamp = int(time.time() * 1000)
    head = "".join(CROCKFORD[(stamp >> shift) & 31] for shift in range(45, -1, -5))
    return head + "".join(secrets.choice(CROCKFORD) for _ in range(16))


def profile_for(*, service: str, body: object) -> dict:
    """POST /profiles: 200 {sender_allowed, preferred_languages}; 404 not on IO or inbox off; 400 bad CF."""
    code = body.get("fiscal_code") if isinstance(body, dict) else None
    if not isinstance(code, str) or not FISCAL_CODE.match(code):
        raise Refusal(400, "Invalid FiscalCode", "fiscal_code: not a valid fiscal code")
    profile = Profile.objects.filter(fiscal_code=code).first()
    if profile is None or not profile.inbox_enabled:
        raise Refusal(404, "Profile not found", "The profile you requested was not found in the system.")
    return {"sender_allowed": service not in profile.blocked_services, "preferred_languages": ["it_IT"]}


def _text(content: dict, name: str, low: int, high: int) -> None:
    value = content.get(name)
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise Refusal(400, "Invalid NewMessage", f"content.{name}: a string of {low} to {high} characters")


def _payment_check(data: object) -> None:
    if not isinstance(data, dict):
        raise Refusal(400, "Invalid NewMessage", "content.payment_data: an object")
    amount = data.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= 9_999_999_999:
        raise Refusal(400, "Invalid NewMessage", "content.payment_data.amount: an integer 1 to 9999999999 (cents)")
    if amount > Behaviour.current().max_payment_cents:
        raise Refusal(400, "Invalid NewMessage", "content.payment_data.amount: above the service's maximum")
    number = data.get("notice_number")
    if not isinstance(number, str) or not NOTICE_NUMBER.match(number):
        raise Refusal(400, "Invalid NewMessage", "content.payment_data.notice_number: ^[0123][0-9]{17}$")
    if "invalid_after_due_date" in data and not isinstance(data["invalid_after_due_date"], bool):
        raise Refusal(400, "Invalid NewMessage", "content.payment_data.invalid_after_due_date: a boolean")
    if "payee" in data:
        payee = data["payee"]
        if not isinstance(payee, dict) or not ORGANIZATION_FISCAL_CODE.match(str(payee.get("fiscal_code", ""))):
            raise Refusal(400, "Invalid NewMessage", "content.payment_data.payee.fiscal_code: 11 digits")
        raise Refusal(403, "You are not allowed here", "payee: the service has no permission to send it")


def message_check(body: object) -> tuple[str, dict]:
    """NewMessage with the fiscal code in the body: the CF and the content, or a Refusal as IO answers."""
    if not isinstance(body, dict):
        raise Refusal(400, "Invalid NewMessage", "body: an object")
    code = body.get("fiscal_code")
    if not isinstance(code, str) or not FISCAL_CODE.match(code):
        raise Refusal(400, "Invalid NewMessage", "fiscal_code: not a valid fiscal code")
    content = body.get("content")
    if not isinstance(content, dict):
        raise Refusal(400, "Invalid NewMessage", "content: required")
    _text(content, "subject", 10, 120)
    _text(content, "markdown", 80, 10000)
    if "due_date" in content and not (isinstance(content["due_date"], str) and TIMESTAMP.match(content["due_date"])):
        raise Refusal(400, "Invalid NewMessage", "content.due_date: an ISO 8601 timestamp")
    if "payment_data" in content:
        _payment_check(content["payment_data"])
    level = body.get("feature_level_type", "STANDARD")
    if level not in ("STANDARD", "ADVANCED"):
        raise Refusal(400, "Invalid NewMessage", "feature_level_type: STANDARD or ADVANCED")
    if level == "ADVANCED":
        raise Refusal(403, "You are not allowed here", "ADVANCED messages need the Premium agreement")
    ttl = body.get("time_to_live", 3600)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 3600 <= ttl <= 604800:
        raise Refusal(400, "Invalid NewMessage", "time_to_live: 3600 to 604800")
    return code, content


def message_create(*, service: str, body: object) -> Message:
    """201 for any valid message: PROCESSED in the inbox of a citizen who allows the service, else REJECTED."""
    code, content = message_check(body)
    profile = Profile.objects.filter(fiscal_code=code).first()
    allowed = profile is not None and profile.inbox_enabled and service not in profile.blocked_services
    status = Message.Status.PROCESSED if allowed else Message.Status.REJECTED
    return Message.objects.create(id=ulid(), service=service, fiscal_code=code, content=content, status=status)


def throttle_for(minutes: int) -> None:
    behaviour = Behaviour.current()
    behaviour.throttled_until = timezone.now() + datetime.timedelta(minutes=minutes) if minutes else None
    behaviour.save()
