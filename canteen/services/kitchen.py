"""The kitchens' access codes: issued by the office for one school (shown once, only the SHA-256 kept), revoked,
checked on every call, rate-limited, and every call logged."""

import hashlib
import secrets

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from enrollment.models import School

from ..errors import AttendanceFileError
from ..models import AttendanceBatch, KitchenApiCall, KitchenToken
from .attendance import MAX_ERRORS_KEPT, MAX_ROWS, RawRow, attendance_apply, rows_check
from .settle import SettleResult

TOKEN_PREFIX = "mensa_"  # noqa: S105 - the visible start of every code, not a secret
RATE_LIMIT_CALLS = 30
RATE_LIMIT_SECONDS = 60


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def kitchen_token_issue(*, school: School, name: str, actor: User | None) -> tuple[KitchenToken, str]:
    """A new code for the school's kitchen: the returned text is shown once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = KitchenToken.objects.create(
        school=school, name=name.strip()[:100], prefix=token[:8], token_sha256=token_hash(token), created_by=actor
    )
    return row, token


def kitchen_token_revoke(*, token: KitchenToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def kitchen_token_check(header: str) -> KitchenToken | None:
    """The live token named by an `Authorization: Bearer …` header, or None."""
    scheme, _space, value = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip().startswith(TOKEN_PREFIX):
        return None
    token = KitchenToken.objects.select_related("school").filter(token_sha256=token_hash(value.strip())).first()
    if token is None or token.revoked_at is not None:
        return None
    return token


def kitchen_rate_exceeded(token: KitchenToken) -> bool:
    """More than RATE_LIMIT_CALLS calls of this token in the current minute."""
    key = f"canteen:kitchen-rate:{token.pk}:{int(timezone.now().timestamp()) // RATE_LIMIT_SECONDS}"
    cache.add(key, 0, timeout=RATE_LIMIT_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=RATE_LIMIT_SECONDS * 2)
        count = 1
    return count > RATE_LIMIT_CALLS


def kitchen_call_log(
    *,
    token: KitchenToken | None,
    remote_addr: str | None,
    status: int,
    rows: int = 0,
    errors: int = 0,
    detail: str = "",
    batch: AttendanceBatch | None = None,
) -> None:
    KitchenApiCall.objects.create(
        token=token,
        remote_addr=remote_addr or None,
        status_code=status,
        rows=rows,
        row_errors=errors,
        detail=detail[:200],
        batch=batch,
    )
    if token is not None:
        KitchenToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())


def rows_from_json(items: object) -> list[RawRow]:
    """The kitchen's JSON: a list of objects (or {"righe": [...]}) with codice_fiscale, data, presenza, tipo_pasto."""
    if isinstance(items, dict):
        items = items.get("righe", items.get("rows"))
    if not isinstance(items, list) or not items:
        raise AttendanceFileError(_("Manda un elenco «righe» di presenze."))
    if len(items) > MAX_ROWS:
        raise AttendanceFileError(_("Troppe righe in una chiamata."))
    rows = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            item = {}
        present = item.get("presenza", item.get("presente", ""))
        if isinstance(present, bool):
            present = "presente" if present else "assente"
        rows.append(
            RawRow(
                index,
                str(item.get("codice_fiscale", ""))[:32],
                str(item.get("data", ""))[:32],
                str(present)[:32],
                str(item.get("tipo_pasto", "") or "")[:32],
            )
        )
    return rows


@transaction.atomic
def attendance_receive(
    *, raw: list[RawRow], school: School, filename: str = "", content: bytes = b""
) -> tuple[AttendanceBatch | None, list[dict], SettleResult | None]:
    """The kitchen's call: all rows valid → recorded and applied at once; otherwise nothing, and the errors."""
    valid, errors = rows_check(raw=raw, school=school)
    if errors:
        return None, errors[:MAX_ERRORS_KEPT], None
    batch = AttendanceBatch.objects.create(
        school=school,
        source=AttendanceBatch.Source.API,
        filename=filename[:200],
        content_sha256=hashlib.sha256(content).hexdigest() if content else "",
        rows=valid,
        row_count=len(raw),
    )
    result = attendance_apply(batch=batch, actor=None)
    return batch, [], result
