"""What a family decides about the canteen balance: the low-balance threshold, the end-of-year refund or transfer
(the office approves; the balance otherwise carries over to next year), and the office's closures told to them."""

from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Child, Guardianship, User
from enrollment.models import ServiceKind
from payments.errors import AmountError
from payments.models import Balance
from payments.pagopa import iban_valid
from payments.services import ledger_record, ledger_refund
from payments.services.ledger import ledger_amount_check
from portal import mail

from ..errors import CanteenError
from ..models import Closure, LowBalanceThreshold, YearEndRequest
from ..selectors import canteen_enrollments

CLOSURE_TEMPLATE = "canteen_closure"
MAX_THRESHOLD = Decimal("500.00")


def _guardian_check(user: User, child: Child) -> None:
    if not Guardianship.objects.filter(adult=user, child=child, revoked_at__isnull=True).exists():
        raise CanteenError(_("Non puoi agire per questo bambino."))


def threshold_set(*, user: User, child: Child, amount: Decimal | None) -> LowBalanceThreshold | None:
    """The parent's threshold for the child (None: back to the office's default)."""
    _guardian_check(user, child)
    if amount is None:
        LowBalanceThreshold.objects.filter(child=child).delete()
        return None
    if amount < 0 or amount > MAX_THRESHOLD:
        raise CanteenError(_("La soglia va da 0 a 500 euro."), field="amount")
    row, _created = LowBalanceThreshold.objects.update_or_create(
        child=child, defaults={"amount": amount, "set_by": user, "set_at": timezone.now()}
    )
    return row


def _iban_check(iban: str) -> str:
    """The IBAN without spaces, upper case, when its check digits hold (payments.pagopa's one rule)."""
    value = "".join(iban.split()).upper()
    if not iban_valid(value):
        raise CanteenError(_("IBAN non valido: controlla di averlo copiato per intero."), field="iban")
    return value


def year_end_request(
    *,
    user: User,
    child: Child,
    kind: str,
    amount: Decimal,
    iban: str = "",
    account_holder: str = "",
    to_child: Child | None = None,
) -> YearEndRequest:
    """A parent asks to have (part of) the child's canteen credit refunded or moved to a sibling; no minimum."""
    _guardian_check(user, child)
    try:
        value = ledger_amount_check(amount, kind="topup")
    except AmountError as error:
        raise CanteenError(str(error), field="amount") from error
    balance = (
        Balance.objects.filter(child=child, service_kind=ServiceKind.CANTEEN).values_list("amount", flat=True).first()
    )
    if balance is None or value > balance:
        raise CanteenError(_("L'importo supera il credito disponibile."), field="amount")
    values = {"child": child, "kind": kind, "amount": value, "requested_by": user}
    if kind == YearEndRequest.Kind.REFUND:
        values["iban"] = _iban_check(iban)
        values["account_holder"] = " ".join(account_holder.split())[:140] or user.get_full_name()
    elif kind == YearEndRequest.Kind.TRANSFER:
        if to_child is None or to_child.pk == child.pk:
            raise CanteenError(_("Scegli il fratello o la sorella che riceve il credito."), field="to_child")
        _guardian_check(user, to_child)
        if not canteen_enrollments().filter(child=to_child).exists():
            raise CanteenError(_("Il credito si trasferisce a un bambino iscritto alla mensa."), field="to_child")
        values["to_child"] = to_child
    else:
        raise CanteenError(_("Richiesta non valida."))
    try:
        with transaction.atomic():
            return YearEndRequest.objects.create(**values)
    except IntegrityError as error:
        raise CanteenError(_("C'è già una richiesta in attesa per questo bambino.")) from error


@transaction.atomic
def year_end_decide(*, request: YearEndRequest, approve: bool, actor: User, note: str = "") -> YearEndRequest:
    """The office approves (the money moves in the ledger) or rejects (with a note the parent sees)."""
    locked = YearEndRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != YearEndRequest.Status.PENDING:
        raise CanteenError(_("Questa richiesta è già stata decisa."))
    if approve:
        if locked.kind == YearEndRequest.Kind.REFUND:
            ledger_refund(
                child=locked.child,
                service_kind=ServiceKind.CANTEEN,
                amount=locked.amount,
                reason=_("Rimborso di fine anno sull'IBAN %(iban)s") % {"iban": f"…{locked.iban[-4:]}"},
                actor=actor,
            )
        else:
            to_child = locked.to_child
            if to_child is None:
                raise CanteenError(_("Manca il bambino che riceve il credito."))
            to_name = f"{to_child.first_name} {to_child.last_name}"
            from_name = f"{locked.child.first_name} {locked.child.last_name}"
            ledger_record(
                child=locked.child,
                service_kind=ServiceKind.CANTEEN,
                kind="adjustment",
                amount=-locked.amount,
                reason=_("Credito trasferito a %(name)s") % {"name": to_name},
                actor=actor,
            )
            ledger_record(
                child=to_child,
                service_kind=ServiceKind.CANTEEN,
                kind="adjustment",
                amount=locked.amount,
                reason=_("Credito ricevuto da %(name)s") % {"name": from_name},
                actor=actor,
            )
    elif not note.strip():
        raise CanteenError(_("Scrivi perché la richiesta è respinta: la famiglia lo vedrà."))
    locked.status = YearEndRequest.Status.APPROVED if approve else YearEndRequest.Status.REJECTED
    locked.office_note = note.strip()[:200]
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "office_note", "decided_by", "decided_at"])
    return locked


@transaction.atomic
def closure_notify(*, closure: Closure) -> int:
    """E-mail the families of the children enrolled in the closed school's canteen (once per closure)."""
    locked = Closure.objects.select_for_update().select_related("calendar__school").get(pk=closure.pk)
    if locked.notified_at is not None:
        return 0
    calendar = locked.calendar
    child_ids = list(
        canteen_enrollments()
        .filter(school_id=calendar.school_id, school_year_id=calendar.school_year_id)
        .values_list("child_id", flat=True)
    )
    addresses = sorted(
        set(
            Guardianship.objects.filter(child_id__in=child_ids, revoked_at__isnull=True, adult__is_active=True)
            .exclude(adult__email="")
            .values_list("adult__email", flat=True)
        )
    )
    context = {
        "comune": settings.PORTAL_COMUNE_NAME,
        "school": calendar.school.name,
        "starts_on": locked.starts_on,
        "ends_on": locked.ends_on,
        "kind": locked.get_kind_display(),
        "note": locked.note,
    }
    mail.email_enqueue_many([mail.TemplateEmail(CLOSURE_TEMPLATE, [address], context) for address in addresses])
    locked.notified_at = timezone.now()
    locked.save(update_fields=["notified_at"])
    return len(addresses)
