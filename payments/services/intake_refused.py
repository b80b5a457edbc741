"""The receipt endpoint's refused calls — no valid signature, signed but not a receipt, too large: only the body's
SHA-256, its length, its first kilobyte, the sender and why (a ReceiptMessage.Refusal code) are kept, and a sender
refused too often (per window, counted in the cache) is answered 429 without recording anything, so nobody can fill
the database from outside."""

import hashlib
import ipaddress
import logging
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from ..models import ReceiptMessage
from ..pagopa import SIGNATURE_HEADER

logger = logging.getLogger(__name__)

REFUSED_HEAD_BYTES = 1024  # what is kept of a refused call's body (with its hash and length)


def _ip(remote_addr: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(remote_addr)) if remote_addr else None
    except ValueError:
        return None


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in (headers or {}).items():
        if str(key).lower() == wanted:
            return str(value or "")
    return ""


def _body_text(body: bytes) -> str:
    """The body as stored: the text itself for UTF-8 (receipts are), escapes for anything else (never dropped)."""
    text = body.decode("utf-8", errors="backslashreplace")
    return text.replace("\x00", "\\x00")  # PostgreSQL text cannot hold NUL


def _refused_key(remote_addr: str | None) -> str:
    return f"receipt-intake-refused:{_ip(remote_addr) or 'unknown'}"


def _refused_over_limit(remote_addr: str | None) -> bool:
    """Count one more refused call from this address; True once it is past the limit of its window."""
    key = _refused_key(remote_addr)
    window = settings.PAYMENTS_RECEIPT_REFUSED_WINDOW_SECONDS
    try:
        count = 1 if cache.add(key, 1, timeout=window) else cache.incr(key)
    except Exception:  # the cache is down: record the call (bounded in size) rather than lose track of it
        logger.warning("Receipt intake: refused-call counter unavailable")
        return False
    return count > settings.PAYMENTS_RECEIPT_REFUSED_LIMIT


def receipt_intake_refuse(
    *,
    head: bytes,
    length: int,
    sha256: str,
    headers: Mapping[str, str],
    remote_addr: str | None,
    reason: str,
    refusal: str,
    status: int,
    channel: str = ReceiptMessage.Channel.JSON,
) -> tuple[ReceiptMessage | None, int]:
    """Record a refused call — hash, length, first kilobyte, sender, why (`refusal`, a ReceiptMessage.Refusal) — or
    nothing (429) past the sender's limit."""
    if _refused_over_limit(remote_addr):
        logger.warning("Receipt intake: too many refused calls from %s, not recorded", remote_addr)
        return None, 429
    logger.warning("Receipt call refused (%s) from %s: %s", status, remote_addr, reason)
    message = ReceiptMessage.objects.create(
        body=_body_text(head[:REFUSED_HEAD_BYTES]),
        body_sha256=sha256,
        body_length=length,
        authenticated=False,
        signature=_header(headers, SIGNATURE_HEADER)[:200],
        outcome=ReceiptMessage.Outcome.REJECTED,
        reason=reason[:300],
        refusal=refusal,
        remote_addr=_ip(remote_addr),
        received_at=timezone.now(),
        channel=channel,
    )
    return message, status


def refuse(
    body: bytes, *, headers: Mapping[str, str], remote_addr: str | None, reason: str, refusal: str, status: int
) -> tuple[ReceiptMessage | None, int]:
    return receipt_intake_refuse(
        head=body[:REFUSED_HEAD_BYTES],
        length=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
        headers=headers,
        remote_addr=remote_addr,
        reason=reason,
        refusal=refusal,
        status=status,
    )
