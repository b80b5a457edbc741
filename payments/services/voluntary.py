"""A voluntary contribution paid with an amount the family chooses (where the school allows it): the same notice,
the same notice number, its amount changed here and on the platform (GPD's update of an unpaid position) before
the family pays. Refused when anything of it is paid, a payment of it is under way, or the platform does not answer
(the amount would differ between the portal and pagoPA)."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import family_summary_invalidate
from portal.files import field_file_forget

from .. import gateway as gateway_module
from ..errors import NoticeDataError, PlatformRejectedError, PlatformUnavailableError
from ..gateway import GatewayRejectedError, GatewayUnavailableError
from ..models import Cart, PaymentNotice, PaymentNoticeEvent, PaymentOption
from ..selectors import notice_get_for_user
from .events import notice_event_record
from .positions import debt_position_of
from .validation import amount_check

VOLUNTARY_MAX = Decimal("1000.00")  # a contribution above this is a typing error


def free_amount_allowed(notice: PaymentNotice) -> bool:
    event = notice.school_event
    return bool(notice.voluntary and event is not None and event.free_amount)


def voluntary_amount_choose(*, user: User, notice_id: int, amount: Decimal | str) -> PaymentNotice:
    """Set the amount of one of the family's voluntary notices (see the module); returns the notice."""
    notice = notice_get_for_user(user=user, pk=notice_id)  # NotFoundError (404) for another family's notice
    value = amount_check(amount, maximum=VOLUNTARY_MAX)
    with transaction.atomic():
        notice = (
            PaymentNotice.objects.select_for_update(of=("self",))
            .select_related("school_event", "payer", "creditor")
            .get(pk=notice.pk)
        )
        if not free_amount_allowed(notice):
            raise NoticeDataError(_("Per questo avviso l'importo è fissato dalla scuola."))
        if notice.status != PaymentNotice.Status.ISSUED or notice.options.filter(paid_at__isnull=False).exists():
            raise NoticeDataError(_("L'avviso non è più da pagare: l'importo non si può cambiare."))
        if notice.carts.filter(status__in=[Cart.Status.PENDING, Cart.Status.RETURNED_OK]).exists():
            raise NoticeDataError(_("C'è un pagamento in corso per questo avviso: attendi l'esito, poi riprova."))
        if value == notice.amount:
            return notice
        before = notice.amount
        options = list(notice.options.all())
        PaymentOption.objects.filter(notice=notice).update(amount=value)
        for option in options:
            option.amount = value
        notice.amount = value
        field_file_forget(instance=notice, field="pdf")  # printed again with the new amount
        notice.save(update_fields=["amount", "pdf"])
        family_summary_invalidate(child_ids=[notice.child_id])
        if notice.platform_state:
            _platform_update(notice, options)
        notice_event_record(
            notice=notice,
            action=PaymentNoticeEvent.Action.AMOUNT_CHANGED,
            actor=user,
            reason=f"{before} → {value}",
        )
    return notice


def _platform_update(notice: PaymentNotice, options: list[PaymentOption]) -> None:
    """Under the notice's lock: the platform takes the new amount, or nothing changes here either."""
    try:
        gateway_module.get_gateway().debt_position_update(position=debt_position_of(notice, options))
    except GatewayUnavailableError as error:
        raise PlatformUnavailableError(
            _("La piattaforma pagoPA non risponde: l'importo non è cambiato. Riprova più tardi.")
        ) from error
    except GatewayRejectedError as error:
        raise PlatformRejectedError(
            _("La piattaforma pagoPA non ha accettato il nuovo importo: %(error)s") % {"error": error}
        ) from error
