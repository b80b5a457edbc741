"""Paying online: a parent's top-up notice, the cart sent to the pagoPA checkout, and the return from it.

Only a receipt marks a notice paid (`receipts`): the return from the checkout records what the browser said.
"""

import datetime
import logging
import secrets
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Child, User
from accounts.selectors import children_for_user
from enrollment.models import ServiceKind, service_kind_prepaid
from portal.money import to_cents

from .. import gateway as gateway_module
from ..creditors import notice_creditor
from ..errors import CartError, NotFoundError, NoticeDataError, PlatformRejectedError
from ..gateway import CartItem, GatewayRejectedError, GatewayUnavailableError, ReturnUrls
from ..models import Cart, PaymentNotice, PaymentOption
from ..selectors import child_get_for_user
from .notices import notice_issue
from .positions import notice_publish
from .validation import CAUSALE_MAX, amount_check

logger = logging.getLogger(__name__)

Status = PaymentNotice.Status
PlatformState = PaymentNotice.PlatformState


# --- top-up ------------------------------------------------------------------------------------------------------


SERVICE_WORD: dict[str, str] = {
    ServiceKind.CANTEEN: "mensa",
    ServiceKind.TRANSPORT: "trasporto",
    ServiceKind.NURSERY: "nido",
}


def school_year_label(day: datetime.date) -> str:
    """The school year a day belongs to ("2026/2027"), taken to start on 1 September."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{start + 1}"


def topup_causale(*, child: Child, service_kind: str, day: datetime.date) -> str:
    """ "Ricarica mensa - Giulia Rossi - a.s. 2026/2027": always Italian (printed on notice and receipt)."""
    head = f"Ricarica {SERVICE_WORD[service_kind]}"
    tail = f"a.s. {school_year_label(day)}"
    room = CAUSALE_MAX - len(head) - len(tail) - 6
    name = " ".join(f"{child.first_name} {child.last_name}".split())[:room].strip()
    return f"{head} - {name} - {tail}"


def topup_create(*, user: User, child_id: int, service_kind: str, amount: Decimal) -> PaymentNotice:
    """A parent asks to top up a child's balance: a notice for that amount; the balance moves with its receipt."""
    child = child_get_for_user(user=user, child_id=child_id)
    if service_kind not in ServiceKind.values:
        raise NoticeDataError(_("Scegli il servizio da ricaricare."))
    if not service_kind_prepaid(service_kind):
        raise NoticeDataError(
            _(
                "%(service)s non ha un credito da ricaricare: si paga con gli avvisi di pagamento, "
                "che trovi nella pagina Pagamenti."
            )
            % {"service": ServiceKind(service_kind).label}
        )
    value = amount_check(amount, maximum=settings.PAYMENTS_TOPUP_MAX)
    today = timezone.localdate()
    return notice_issue(
        child=child,
        service_kind=service_kind,
        purpose=PaymentNotice.Purpose.TOPUP,
        amount=value,
        causale=topup_causale(child=child, service_kind=service_kind, day=today),
        due_date=today + datetime.timedelta(days=settings.PAYMENTS_TOPUP_DUE_DAYS),
        payer=user,
        created_by=user,
    )


# --- cart (pay online) -------------------------------------------------------------------------------------------


CART_OUTCOMES = {
    "ok": Cart.Status.RETURNED_OK,
    "cancel": Cart.Status.CANCELLED,
    "error": Cart.Status.FAILED,
    "waiting": Cart.Status.PENDING,
}


def payable_option(notice: PaymentNotice, *, option_id: int | None = None) -> PaymentOption | None:
    """What a cart pays for a notice: the option the parent chose among `notice.payable_options` (the whole amount
    or the next instalment), else the first of them (the whole amount, or the next instalment once one is paid).
    A choice that is not payable now raises CartError."""
    choices = notice.payable_options
    if option_id is None:
        return choices[0] if choices else None
    chosen = next((option for option in choices if option.pk == option_id), None)
    if chosen is None:
        raise CartError(
            _("La rata scelta per «%(causale)s» non si può pagare ora: ricarica la pagina e scegli di nuovo.")
            % {"causale": notice.causale}
        )
    return chosen


def _return_urls_for(urls: ReturnUrls, public_id: str) -> ReturnUrls:
    """The view may write "{public_id}" (or its URL-quoted form) where the cart's id goes."""

    def fill(url: str) -> str:
        return url.replace("{public_id}", public_id).replace("%7Bpublic_id%7D", public_id)

    return ReturnUrls(ok=fill(urls.ok), cancel=fill(urls.cancel), error=fill(urls.error), waiting=fill(urls.waiting))


def _cart_notices(*, user: User, notice_ids: Iterable[int | str]) -> list[PaymentNotice]:
    try:
        ids = list(dict.fromkeys(int(pk) for pk in notice_ids))
    except (TypeError, ValueError) as error:
        raise NotFoundError from error
    maximum = settings.PAYMENTS_CART_MAX
    if not 1 <= len(ids) <= maximum:
        raise CartError(
            ngettext(
                "Puoi pagare insieme al massimo %(max)d avviso.",
                "Puoi pagare insieme al massimo %(max)d avvisi.",
                maximum,
            )
            % {"max": maximum}
            if ids
            else _("Scegli almeno un avviso da pagare.")
        )
    found = {
        notice.pk: notice
        for notice in PaymentNotice.objects.filter(pk__in=ids, child__in=children_for_user(user=user))
        .select_related("child", "creditor")
        .prefetch_related("options")
    }
    if len(found) != len(ids):
        raise NotFoundError
    notices = [found[pk] for pk in ids]
    closed = [notice for notice in notices if notice.status != Status.ISSUED]
    if closed:
        raise CartError(
            ngettext(
                "Questo avviso non si può più pagare: %(list)s.",
                "Questi avvisi non si possono più pagare: %(list)s.",
                len(closed),
            )
            % {"list": "; ".join(f"«{n.causale}» ({n.get_status_display()})" for n in closed)}
        )
    return notices


def cart_open(
    *, user: User, notice_ids: list[int], return_urls: ReturnUrls, options: dict[int, int] | None = None
) -> Cart:
    """Open an online payment for 1-5 of the family's open notices; returns the cart with its checkout URL.

    `options` (notice id → payment option id): what the parent chose to pay of a notice in instalments, the whole
    amount or the next instalment (each has its own codice avviso); a notice left out is paid as `payable_option`.

    Notices not yet on the platform are published first. GatewayUnavailableError reaches the caller (the view
    says the platform is down and offers the printed notice); a refusal becomes a CartError.
    """
    notices = _cart_notices(user=user, notice_ids=notice_ids)
    for notice in notices:
        if not notice.platform_state:
            try:
                notice_publish(notice_id=notice.pk)
            except PlatformRejectedError as error:
                raise CartError(str(error)) from error
    states = dict(PaymentNotice.objects.filter(pk__in=[n.pk for n in notices]).values_list("pk", "platform_state"))
    not_payable = [n for n in notices if states.get(n.pk) != PlatformState.VALID]
    if not_payable:
        raise CartError(
            _("Questi avvisi non si possono pagare online ora: %(list)s. Riprova tra qualche minuto.")
            % {"list": "; ".join(f"«{n.causale}»" for n in not_payable)}
        )
    items = []
    for notice in notices:
        option = payable_option(notice, option_id=(options or {}).get(notice.pk))
        if option is None:
            raise CartError(_("L'avviso «%(causale)s» risulta già pagato.") % {"causale": notice.causale})
        items.append(
            CartItem(
                notice_number=option.notice_number,
                creditor_fiscal_code=notice_creditor(notice).fiscal_code,
                amount_cents=to_cents(option.amount),
                company_name=notice_creditor(notice).name,
                description=notice.causale,
            )
        )
    with transaction.atomic():
        cart = Cart.objects.create(public_id=secrets.token_hex(16), user=user, status=Cart.Status.CREATED)
        cart.notices.set(notices)
    try:
        gateway = gateway_module.get_gateway()
        url = gateway.checkout_open(
            items=items,
            return_urls=_return_urls_for(return_urls, cart.public_id),
            email=user.email,
            cart_id=cart.public_id,
        )
    except (GatewayUnavailableError, GatewayRejectedError) as error:
        Cart.objects.filter(pk=cart.pk).update(status=Cart.Status.FAILED, updated_at=timezone.now())
        if isinstance(error, GatewayRejectedError):
            logger.error("Checkout refused for cart %s: %s %s %s", cart.public_id, error.status, error.code, error)
            raise CartError(
                _("La piattaforma pagoPA non ha accettato il pagamento: %(error)s") % {"error": error}
            ) from error
        raise
    cart.status = Cart.Status.PENDING
    cart.checkout_url = url[:500]
    cart.save(update_fields=["status", "checkout_url", "updated_at"])
    return cart


@transaction.atomic
def cart_return(*, user: User, public_id: str, outcome: str) -> Cart:
    """Record where the checkout sent the browser back (ok, cancel, error, waiting). Never marks anything paid."""
    cart = Cart.objects.select_for_update().filter(public_id=str(public_id)[:32], user=user).first()
    if cart is None:
        raise NotFoundError
    status = CART_OUTCOMES.get(outcome, Cart.Status.PENDING)
    if cart.status in (Cart.Status.CREATED, Cart.Status.PENDING) and cart.status != status:
        cart.status = status
        cart.save(update_fields=["status", "updated_at"])
    return cart
