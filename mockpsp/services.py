"""What the fake platform does: GPD positions, payability checks, checkout carts, payments at a shop, behaviour.

Every write is a keyword-only function in one transaction that locks the rows it moves. Receipts and their delivery
are in `delivery.py`.
"""

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import delivery, faults
from .faults import MockFaultError
from .models import Behaviour, Checkout, DebtPosition, PaymentOption, Receipt
from .payloads import cart_clean, position_clean
from .psps import Psp

PAYABLE = {DebtPosition.Status.VALID, DebtPosition.Status.PARTIALLY_PAID}


# --- behaviour -----------------------------------------------------------------------------------------------


@transaction.atomic
def behaviour_set(
    *,
    delay_seconds: int = 0,
    send_twice: bool = False,
    out_of_order: bool = False,
    fail_first_n: int = 0,
    check_digit_strict: bool = True,
    lose_pushes: bool = False,
) -> Behaviour:
    """Set how receipts misbehave from now on (the failure counter restarts at fail_first_n)."""
    behaviour = Behaviour.current()
    behaviour = Behaviour.objects.select_for_update().get(pk=behaviour.pk)
    behaviour.delay_seconds = max(0, int(delay_seconds))
    behaviour.send_twice = send_twice
    behaviour.out_of_order = out_of_order
    behaviour.fail_first_n = max(0, int(fail_first_n))
    behaviour.failures_left = behaviour.fail_first_n
    behaviour.check_digit_strict = check_digit_strict
    behaviour.lose_pushes = lose_pushes
    behaviour.save()
    return behaviour


def behaviour_reset() -> Behaviour:
    return behaviour_set()


@transaction.atomic
def receipt_fdr_change(*, receipt_id: str, action: str, amount_cents: int | None = None) -> Receipt:
    """How the PSP reports a receipt in its flow: "drop" it, report another "amount", list it "twice", or "reset";
    each change is a new revision of the flow, as a PSP's correction would be."""
    receipt = Receipt.objects.select_for_update().filter(receipt_id=receipt_id).first()
    if receipt is None:
        raise faults.unknown(f"no receipt {receipt_id}")
    receipt.fdr_excluded = action == "drop"
    receipt.fdr_amount_cents = amount_cents if action == "amount" else None
    receipt.fdr_twice = action == "twice"
    receipt.fdr_revision += 1
    receipt.save(update_fields=["fdr_excluded", "fdr_amount_cents", "fdr_twice", "fdr_revision"])
    return receipt


# --- debt positions (GPD) ------------------------------------------------------------------------------------


def _position_refresh(position: DebtPosition) -> DebtPosition:
    """Time-driven transitions: PUBLISHED → VALID at validityDate; → EXPIRED after the last due date if asked."""
    now = timezone.now()
    changed = False
    if position.status == DebtPosition.Status.PUBLISHED and (
        position.validity_date is None or position.validity_date <= now
    ):
        position.status = DebtPosition.Status.VALID
        changed = True
    if position.status == DebtPosition.Status.VALID and position.switch_to_expired:
        last_due = max((option.due_date for option in position.options.all()), default=None)
        if last_due is not None and last_due < timezone.localdate(now):
            position.status = DebtPosition.Status.EXPIRED
            changed = True
    if changed:
        position.save(update_fields=["status", "updated_at"])
    return position


def _position_locked(*, organization: str, iupd: str) -> DebtPosition:
    position = (
        DebtPosition.objects.select_for_update().filter(organization_fiscal_code=organization, iupd=iupd).first()
    )
    if position is None:
        raise faults.unknown(f"position {iupd} not found")
    return _position_refresh(position)


def _options_create(position: DebtPosition, options: list[dict], *, exclude_position: int | None = None) -> None:
    iuvs = [option["iuv"] for option in options]
    navs = [option["nav"] for option in options]
    taken = PaymentOption.objects.filter(iuv__in=iuvs) | PaymentOption.objects.filter(nav__in=navs)
    if exclude_position is not None:
        taken = taken.exclude(position_id=exclude_position)
    clash = taken.first()
    if clash is not None:
        raise MockFaultError(409, faults.DUPLICATO, f"iuv {clash.iuv} / nav {clash.nav} already exists")
    try:
        with transaction.atomic():
            PaymentOption.objects.bulk_create([PaymentOption(position=position, **option) for option in options])
    except IntegrityError as error:  # a concurrent create took the same IUV/NAV
        raise MockFaultError(409, faults.DUPLICATO, "iuv or nav already exists") from error


@transaction.atomic
def position_create(*, organization: str, data: object, publish: bool) -> DebtPosition:
    """POST /organizations/{cf}/debtpositions[?toPublish=true]: 400 invalid, 409 duplicate IUPD/IUV/NAV."""
    cleaned = position_clean(data, strict_check_digit=Behaviour.current().check_digit_strict)
    options = cleaned.pop("options")
    if DebtPosition.objects.filter(organization_fiscal_code=organization, iupd=cleaned["iupd"]).exists():
        raise MockFaultError(409, faults.DUPLICATO, f"iupd {cleaned['iupd']} already exists")
    try:
        with transaction.atomic():
            position = DebtPosition.objects.create(organization_fiscal_code=organization, **cleaned)
    except IntegrityError as error:
        raise MockFaultError(409, faults.DUPLICATO, f"iupd {cleaned['iupd']} already exists") from error
    _options_create(position, options)
    if publish:
        _publish(position)
    return position


def _publish(position: DebtPosition) -> None:
    position.status = DebtPosition.Status.PUBLISHED
    position.published_at = timezone.now()
    position.save(update_fields=["status", "published_at", "updated_at"])
    _position_refresh(position)


@transaction.atomic
def position_get(*, organization: str, iupd: str) -> DebtPosition:
    return _position_locked(organization=organization, iupd=iupd)


@transaction.atomic
def position_update(*, organization: str, iupd: str, data: object) -> DebtPosition:
    """PUT: replace payer and options while DRAFT/PUBLISHED/VALID/EXPIRED and nothing is paid (409 otherwise)."""
    position = _position_locked(organization=organization, iupd=iupd)
    editable = {
        DebtPosition.Status.DRAFT,
        DebtPosition.Status.PUBLISHED,
        DebtPosition.Status.VALID,
        DebtPosition.Status.EXPIRED,
    }
    if position.status not in editable or position.options.filter(status=PaymentOption.Status.PAID).exists():
        raise MockFaultError(409, faults.NON_MODIFICABILE, f"position {iupd} is {position.status}")
    cleaned = position_clean(data, strict_check_digit=Behaviour.current().check_digit_strict)
    if cleaned["iupd"] != iupd:
        raise faults.bad_request("iupd: differs from the path")
    options = cleaned.pop("options")
    for field, value in cleaned.items():
        setattr(position, field, value)
    if position.status == DebtPosition.Status.EXPIRED:
        position.status = DebtPosition.Status.VALID  # a new due date revives it; expiry is re-checked below
    position.save()
    position.options.all().delete()
    _options_create(position, options, exclude_position=position.pk)
    return _position_refresh(position)


@transaction.atomic
def position_publish(*, organization: str, iupd: str) -> DebtPosition:
    position = _position_locked(organization=organization, iupd=iupd)
    if position.status != DebtPosition.Status.DRAFT:
        raise MockFaultError(409, faults.NON_MODIFICABILE, f"position {iupd} is {position.status}, not DRAFT")
    _publish(position)
    return position


@transaction.atomic
def position_invalidate(*, organization: str, iupd: str) -> DebtPosition:
    """PUBLISHED/VALID → INVALID (final); anything else 409, EXPIRED and PARTIALLY_PAID included, as GPD
    (pagopa/pagopa-debt-position DebtPositionStatus: only those two are invalidable)."""
    position = _position_locked(organization=organization, iupd=iupd)
    allowed = {DebtPosition.Status.PUBLISHED, DebtPosition.Status.VALID}
    if position.status not in allowed:
        raise MockFaultError(409, faults.NON_MODIFICABILE, f"position {iupd} is {position.status}: not invalidable")
    position.status = DebtPosition.Status.INVALID
    position.save(update_fields=["status", "updated_at"])
    return position


@transaction.atomic
def position_delete(*, organization: str, iupd: str) -> None:
    position = _position_locked(organization=organization, iupd=iupd)
    if position.options.filter(status=PaymentOption.Status.PAID).exists():
        raise MockFaultError(409, faults.NON_MODIFICABILE, f"position {iupd} is (partially) paid")
    position.delete()


# --- paying ---------------------------------------------------------------------------------------------------


def _option_locked(*, organization: str, nav: str) -> PaymentOption:
    option = (
        PaymentOption.objects.select_for_update()
        .select_related("position")
        .filter(nav=nav, position__organization_fiscal_code=organization)
        .first()
    )
    if option is None:
        raise faults.unknown(f"notice {nav} of {organization} not found")
    option.position = _position_refresh(DebtPosition.objects.select_for_update().get(pk=option.position_id))
    return option


def _check_payable(option: PaymentOption, *, amount_cents: int | None = None) -> None:
    """The checks of verify/activate: the faults a PSP gets for a notice that cannot be paid."""
    position = option.position
    if position.status == DebtPosition.Status.INVALID:
        raise MockFaultError(422, faults.ANNULLATO, f"notice {option.nav} was cancelled")
    if position.status == DebtPosition.Status.EXPIRED:
        raise MockFaultError(422, faults.SCADUTO, f"notice {option.nav} is expired")
    if option.status == PaymentOption.Status.PAID or position.status == DebtPosition.Status.PAID:
        raise MockFaultError(409, faults.DUPLICATO, f"notice {option.nav} is already paid")
    if position.status not in PAYABLE:
        raise faults.unknown(f"notice {option.nav} is not payable ({position.status})")
    if position.status == DebtPosition.Status.PARTIALLY_PAID and not option.is_partial_payment:
        raise faults.unknown(f"notice {option.nav}: an instalment was paid, the single payment is closed")
    if amount_cents is not None and amount_cents != option.amount_cents:
        raise MockFaultError(422, faults.SEMANTICA, f"notice {option.nav}: amount {amount_cents} is not due")


def option_verify(*, organization: str, nav: str, amount_cents: int | None = None) -> PaymentOption:
    """verifyPaymentNotice: the option if it can be paid now, a fault otherwise (nothing changes)."""
    with transaction.atomic():
        option = _option_locked(organization=organization, nav=nav)  # time-driven transitions are kept
    _check_payable(option, amount_cents=amount_cents)
    return option


def _option_mark_paid(option: PaymentOption) -> None:
    now = timezone.now()
    option.status = PaymentOption.Status.PAID
    option.paid_at = now
    option.save(update_fields=["status", "paid_at"])
    position = option.position
    siblings = position.options.filter(is_partial_payment=option.is_partial_payment)
    if not option.is_partial_payment or not siblings.exclude(status=PaymentOption.Status.PAID).exists():
        position.status = DebtPosition.Status.PAID
        position.paid_at = now
    else:
        position.status = DebtPosition.Status.PARTIALLY_PAID
    position.save(update_fields=["status", "paid_at", "updated_at"])


@transaction.atomic
def option_mark_paid_offline(*, organization: str, nav: str) -> PaymentOption:
    """POST /organizations/{cf}/paymentoptions/paids/{nav}: paid outside pagoPA (no receipt)."""
    option = _option_locked(organization=organization, nav=nav)
    _check_payable(option)
    _option_mark_paid(option)
    return option


@transaction.atomic
def checkout_create(*, data: object) -> Checkout:
    """POST /checkout/ec/v2/carts: every notice must be payable now, for exactly the amount due."""
    cleaned = cart_clean(data, strict_check_digit=Behaviour.current().check_digit_strict)
    for item in cleaned["items"]:
        option = _option_locked(organization=item["fiscalCode"], nav=item["noticeNumber"])
        _check_payable(option, amount_cents=item["amount"])
    return Checkout.objects.create(token=uuid.uuid4().hex, **cleaned)


def _checkout_locked(token: str) -> Checkout:
    checkout = Checkout.objects.select_for_update().filter(token=token).first()
    if checkout is None:
        raise faults.unknown("checkout not found")
    return checkout


def _checkout_close(checkout: Checkout, state: str, *, psp: Psp | None = None, method: str = "") -> None:
    checkout.state = state
    checkout.closed_at = timezone.now()
    checkout.psp_id = psp.id if psp else ""
    checkout.payment_method = method
    checkout.save(update_fields=["state", "closed_at", "psp_id", "payment_method"])


def checkout_pay(*, token: str, psp: Psp, method: str, delayed: bool = False) -> Checkout:
    """Pay the whole cart with one PSP: options paid, one receipt per notice (the fee on the first), queued.

    `delayed`: the card timed out: the payment went through but the receipts arrive later. A notice that can no
    longer be paid fails the whole cart with its fault (MockFaultError), and nothing is paid.
    """
    try:
        return _checkout_pay(token=token, psp=psp, method=method, delayed=delayed)
    except MockFaultError:
        with transaction.atomic():
            checkout = _checkout_locked(token)
            if checkout.state == Checkout.State.OPEN:
                _checkout_close(checkout, Checkout.State.FAILED, psp=psp, method=method)
        raise


@transaction.atomic
def _checkout_pay(*, token: str, psp: Psp, method: str, delayed: bool) -> Checkout:
    checkout = _checkout_locked(token)
    if checkout.state != Checkout.State.OPEN:
        return checkout  # already closed: paying twice does nothing
    options = []
    for item in checkout.items:
        option = _option_locked(organization=item["fiscalCode"], nav=item["noticeNumber"])
        _check_payable(option, amount_cents=int(item["amount"]))
        options.append(option)
    receipts = []
    for index, option in enumerate(options):
        _option_mark_paid(option)
        fee = psp.fee_cents if index == 0 else 0
        receipts.append(
            delivery.receipt_create(option=option, psp=psp, method=method, fee_cents=fee, checkout=checkout)
        )
    _checkout_close(checkout, Checkout.State.TIMED_OUT if delayed else Checkout.State.PAID, psp=psp, method=method)
    delivery.receipts_queue(receipts=receipts, extra_delay_seconds=delivery.TIMEOUT_DELAY_SECONDS if delayed else 0)
    return checkout


@transaction.atomic
def checkout_decline(*, token: str, psp: Psp, method: str) -> Checkout:
    """The card was declined: nothing is paid, the browser goes to the error URL."""
    checkout = _checkout_locked(token)
    if checkout.state == Checkout.State.OPEN:
        _checkout_close(checkout, Checkout.State.DECLINED, psp=psp, method=method)
    return checkout


@transaction.atomic
def checkout_cancel(*, token: str) -> Checkout:
    checkout = _checkout_locked(token)
    if checkout.state == Checkout.State.OPEN:
        _checkout_close(checkout, Checkout.State.CANCELLED)
    return checkout


@transaction.atomic
def shop_pay(*, organization: str, nav: str, psp: Psp) -> Receipt:
    """Pay one notice at the counter of a shop PSP (no cart): the receipt is queued like a checkout's."""
    option = _option_locked(organization=organization, nav=nav)
    _check_payable(option)
    _option_mark_paid(option)
    receipt = delivery.receipt_create(option=option, psp=psp, method="shop", fee_cents=psp.fee_cents, checkout=None)
    delivery.receipts_queue(receipts=[receipt])
    return receipt
