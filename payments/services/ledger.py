"""The ledger: the only code that writes LedgerEntry and Balance.

Every movement of a child's account for one service is a new entry (never edited, never deleted: a correction is
another entry); the cached Balance row is locked (created if missing) and moved by the same amount in the same
transaction, so that balance == sum of the entries at every commit.

Signs: a credit is positive (top-up, payment of a fee), a debit negative (meal, fee, refund paid back to the
family); an adjustment may go either way and always says why.
"""

import datetime
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Child, User
from accounts.services import family_summary_invalidate
from enrollment.models import ServiceKind
from portal.money import CENT

from ..errors import AmountError, LedgerError
from ..models import Balance, LedgerEntry, PaymentNotice, Receipt

Kind = LedgerEntry.Kind

# +1: must be positive, -1: must be negative, 0: either (never zero).
SIGN_OF_KIND: dict[str, int] = {
    Kind.TOPUP: 1,
    Kind.PAYMENT: 1,
    Kind.MEAL: -1,
    Kind.FEE: -1,
    Kind.REFUND: -1,
    Kind.ADJUSTMENT: 0,
}
MAX_LEDGER_AMOUNT = Decimal("999999999.99")


def ledger_amount_check(amount: object, *, kind: str) -> Decimal:
    """The signed amount of an entry of this kind: a Decimal with at most two places, never zero."""
    if isinstance(amount, float) or not isinstance(amount, Decimal | int | str):
        raise AmountError(_("L'importo deve essere un numero decimale in euro."))
    try:
        value = Decimal(amount)
    except InvalidOperation as error:
        raise AmountError(_("Importo non valido.")) from error
    if not value.is_finite():
        raise AmountError(_("Importo non valido."))
    if abs(value) > MAX_LEDGER_AMOUNT:
        raise AmountError(_("Importo troppo alto."))
    if value != value.quantize(CENT):
        raise AmountError(_("Al massimo due cifre dopo la virgola."))
    value = value.quantize(CENT)
    if value == 0:
        raise AmountError(_("L'importo non può essere zero."))
    sign = SIGN_OF_KIND.get(kind)
    if sign is None:
        raise LedgerError(_("Tipo di movimento sconosciuto."))
    if sign * value < 0:
        raise AmountError(
            _("Un movimento di tipo «%(kind)s» deve essere %(sign)s.")
            % {"kind": Kind(kind).label, "sign": _("positivo") if sign > 0 else _("negativo")}
        )
    return value


def _service_check(service_kind: str) -> str:
    if service_kind not in ServiceKind.values:
        raise LedgerError(_("Servizio sconosciuto."))
    return service_kind


def _balance_locked(*, child_id: int, service_kind: str) -> Balance:
    """The child's Balance row for the service, locked until the end of the transaction (created if missing)."""
    balance, _created = Balance.objects.select_for_update().get_or_create(child_id=child_id, service_kind=service_kind)
    return balance


def _balance_move(*, child_id: int, service_kind: str, amount: Decimal) -> None:
    """Add `amount` to the cached balance: the UPDATE takes the row lock itself (created, locked, if missing)."""
    moved = Balance.objects.filter(child_id=child_id, service_kind=service_kind).update(
        amount=F("amount") + amount, updated_at=timezone.now()
    )
    if not moved:
        balance = _balance_locked(child_id=child_id, service_kind=service_kind)
        balance.amount += amount
        balance.save(update_fields=["amount", "updated_at"])


def ledger_record(
    *,
    child: Child,
    service_kind: str,
    kind: str,
    amount: Decimal,
    notice: PaymentNotice | None = None,
    receipt: Receipt | None = None,
    reference: str = "",
    reason: str = "",
    actor: User | None = None,
) -> LedgerEntry:
    """Append one entry and move the cached balance by the same amount, under the balance row's lock.

    Checks come first (nothing is written when they fail); the writes join the caller's transaction without a
    savepoint of their own (a database error there must undo the caller's whole action).
    """
    value = ledger_amount_check(amount, kind=kind)
    _service_check(service_kind)
    if kind == Kind.ADJUSTMENT and not (reason or "").strip():
        raise LedgerError(_("Una rettifica deve avere un motivo."))
    entry = LedgerEntry(
        child_id=child.pk,
        service_kind=service_kind,
        kind=kind,
        amount=value,
        notice=notice,
        receipt=receipt,
        reference=(reference or "")[:64],
        reason=(reason or "").strip()[:200],
        created_by=actor,
        created_at=timezone.now(),
    )
    with transaction.atomic(savepoint=False):
        _balance_move(child_id=child.pk, service_kind=service_kind, amount=value)
        entry.save(force_insert=True)
    family_summary_invalidate(child_ids=[child.pk])
    return entry


@transaction.atomic
def ledger_record_many(*, entries: list[LedgerEntry]) -> list[LedgerEntry]:
    """Append many unsaved entries at once (bulk issue of fees): balances locked in a fixed order, then moved.

    The caller builds the entries (child_id, service_kind, kind, amount, notice…); they are checked here as
    `ledger_record` checks one.
    """
    if not entries:
        return []
    deltas: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    now = timezone.now()
    for entry in entries:
        if entry.pk is not None:
            raise LedgerError(_("Un movimento già registrato non si registra di nuovo."))
        entry.amount = ledger_amount_check(entry.amount, kind=entry.kind)
        _service_check(entry.service_kind)
        if entry.kind == Kind.ADJUSTMENT and not (entry.reason or "").strip():
            raise LedgerError(_("Una rettifica deve avere un motivo."))
        entry.created_at = entry.created_at or now
        deltas[(entry.child_id, entry.service_kind)] += entry.amount
    keys = sorted(deltas)
    Balance.objects.bulk_create(
        [Balance(child_id=child_id, service_kind=kind) for child_id, kind in keys],
        ignore_conflicts=True,
        batch_size=1000,
    )
    locked: list[Balance] = []
    child_ids = sorted({child_id for child_id, _kind in keys})
    for start in range(0, len(child_ids), 1000):
        chunk = child_ids[start : start + 1000]
        rows = Balance.objects.select_for_update().filter(child_id__in=chunk).order_by("pk")
        locked.extend(row for row in rows if (row.child_id, row.service_kind) in deltas)
    LedgerEntry.objects.bulk_create(entries, batch_size=1000)
    _balances_add([(balance.pk, deltas[(balance.child_id, balance.service_kind)]) for balance in locked], now=now)
    family_summary_invalidate(child_ids=child_ids)
    return entries


def _balances_add(moves: list[tuple[int, Decimal]], *, now: datetime.datetime) -> None:
    """Add each delta to its (locked) balance row: one UPDATE … FROM (VALUES …) per 1,000 rows, on PostgreSQL and
    SQLite alike (VALUES columns are column1, column2 in both). Django's bulk_update builds a CASE per row, whose
    compilation cost 1 ms a row; this is one statement the database does in a few milliseconds."""
    table = connection.ops.quote_name(Balance._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(moves), 1000):
            chunk = moves[start : start + 1000]
            values = ", ".join(["(%s, %s)"] * len(chunk))
            params: list[datetime.datetime | int | Decimal] = [now]
            for pk, delta in chunk:
                params += [pk, delta]
            cursor.execute(
                f"UPDATE {table} SET amount = amount + v.column2, updated_at = %s "  # noqa: S608 - table name only
                f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1",
                params,
            )


def ledger_adjust(*, child: Child, service_kind: str, amount: Decimal, reason: str, actor: User | None) -> LedgerEntry:
    """An office correction, positive (credit) or negative (debit), always with its reason."""
    if not (reason or "").strip():
        raise LedgerError(_("Scrivi il motivo della rettifica."))
    return ledger_record(
        child=child, service_kind=service_kind, kind=Kind.ADJUSTMENT, amount=amount, reason=reason, actor=actor
    )


def ledger_refund(*, child: Child, service_kind: str, amount: Decimal, reason: str, actor: User | None) -> LedgerEntry:
    """Money paid back to the family (a positive amount, recorded as a debit of the balance)."""
    if not (reason or "").strip():
        raise LedgerError(_("Scrivi il motivo del rimborso."))
    value = ledger_amount_check(amount, kind=Kind.TOPUP)
    return ledger_record(
        child=child, service_kind=service_kind, kind=Kind.REFUND, amount=-value, reason=reason, actor=actor
    )


@transaction.atomic
def ledger_meal_debit(
    *, child: Child, day: datetime.date, amount: Decimal, actor: User | None = None
) -> LedgerEntry | None:
    """Debit one canteen meal (`amount` is the price, positive); once per child and day (idempotent).

    Returns the day's entry (the existing one if the meal was already debited), or None for a free meal.
    """
    if isinstance(amount, float):
        raise AmountError(_("L'importo deve essere un numero decimale in euro."))
    price = Decimal(amount)
    if price < 0:
        raise AmountError(_("Il prezzo di un pasto non può essere negativo."))
    if price == 0:
        return None
    reference = day.isoformat()
    _balance_locked(child_id=child.pk, service_kind=ServiceKind.CANTEEN)  # serialises the check below
    existing = LedgerEntry.objects.filter(
        child_id=child.pk, service_kind=ServiceKind.CANTEEN, kind=Kind.MEAL, reference=reference
    ).first()
    if existing is not None:
        return existing
    return ledger_record(
        child=child, service_kind=ServiceKind.CANTEEN, kind=Kind.MEAL, amount=-price, reference=reference, actor=actor
    )
