"""What a parent sees of payments: notices, top-up, receipts, balances, the return from the checkout.

Every read goes through `payments.selectors` (scoped to the user's children: another family's object is a 404);
every write is one service call. The return from the checkout never marks anything paid: it shows what the
receipts say, and polls until they arrive.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.selectors import children_for_user
from enrollment.models import prepaid_kind_choices, service_kind_prepaid
from portal.errors import DomainError

from . import pdf, selectors, services
from .errors import AmountError, CartError, NotFoundError, NoticeDataError, PlatformUnavailableError
from .forms import CartForm, TopupForm
from .gateway import GatewayUnavailableError, ReturnUrls
from .models import PaymentNotice
from .services.voluntary import free_amount_allowed, voluntary_amount_choose

logger = logging.getLogger(__name__)

OUTCOMES = ("ok", "cancel", "error", "waiting")
# The return page polls every 2 s; after this many polls (5 minutes) it stops and asks to reload by hand.
POLL_SECONDS = 2
POLL_MAX = 150
OPEN_STATUSES = (PaymentNotice.Status.ISSUED,)
LEDGER_PAGE_SIZE = 50


def _return_urls(request) -> ReturnUrls:
    """The four return addresses of the checkout; the service puts the cart's id where "{public_id}" is."""

    def url(outcome: str) -> str:
        return request.build_absolute_uri(
            reverse("payments:cart_return", kwargs={"public_id": "{public_id}", "outcome": outcome})
        )

    return ReturnUrls(ok=url("ok"), cancel=url("cancel"), error=url("error"), waiting=url("waiting"))


def _notices_page(request, *, form: CartForm | None = None, error: str = "", platform_down=None):
    user = request.user
    page = selectors.notices_page_for_user(user=user)  # cached until a service changes them
    notices = page.notices  # open ones first, by due date
    selected = form.selected() if form is not None else set()
    chosen = form.options() if form is not None else {}
    context = {
        "open_notices": [n for n in notices if n.status in OPEN_STATUSES],
        "closed_notices": [n for n in notices if n.status not in OPEN_STATUSES],
        "balances": page.balances,
        "selected": selected,
        "chosen_options": set(chosen.values()),  # the whole amount or an instalment, as chosen (kept on errors)
        "chosen_notices": set(chosen),
        "cart_error": error,
        "platform_down": platform_down or [],
        "cart_max": settings.PAYMENTS_CART_MAX,
    }
    return render(request, "payments/notice_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def notices(request):
    """Every notice of the family's children; tick up to five open ones and pay them online together."""
    if request.method == "GET":
        return _notices_page(request)
    form = CartForm(request.POST)
    if not form.is_valid():
        return _notices_page(
            request, form=form, error=" ".join(str(message) for message in form.errors.get("notice", []))
        )
    ids = form.cleaned_data["notice"]
    try:
        cart = services.cart_open(
            user=request.user, notice_ids=ids, return_urls=_return_urls(request), options=form.options()
        )
    except NotFoundError:
        error = _("Uno degli avvisi scelti non è tra quelli della tua famiglia: ricarica la pagina e riprova.")
        return _notices_page(request, form=form, error=error)
    except CartError as error:
        return _notices_page(request, form=form, error=str(error))
    except (GatewayUnavailableError, PlatformUnavailableError):
        logger.warning("pagoPA unavailable: cart of %s notices not opened", len(ids))
        down = [n for n in selectors.notice_list_for_user(user=request.user) if n.pk in set(ids)]
        return _notices_page(request, form=form, platform_down=down)
    return redirect(cart.checkout_url)


@login_required
@require_http_methods(["GET", "POST"])
def topup(request):
    """Top up a child's account: a notice for the amount, paid online now or printed and paid at a shop."""
    user = request.user
    initial = {}
    if request.method == "GET":
        if request.GET.get("child", "").isdigit():
            initial["child"] = int(request.GET["child"])
        if service_kind_prepaid(request.GET.get("service", "")):
            initial["service_kind"] = request.GET["service"]
    form = TopupForm(request.POST or None, user=user, initial=initial)
    has_children = children_for_user(user=user).exists()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice = services.topup_create(
                user=user, child_id=data["child"].pk, service_kind=data["service_kind"], amount=data["amount"]
            )
        except AmountError as error:
            form.add_error("amount", str(error))
        except NoticeDataError as error:
            form.add_error("service_kind", str(error))
        except NotFoundError:
            form.add_error("child", _("Scegli uno dei tuoi figli."))
        else:
            if request.POST.get("action") == "online":
                return _pay_online(request, notice)
            messages.success(
                request,
                _("Avviso creato: scaricalo e pagalo presso un punto pagoPA, oppure con l'app della tua banca."),
            )
            return redirect("payments:notice_detail", pk=notice.pk)
    return render(request, "payments/topup_form.html", {"form": form, "has_children": has_children})


def _pay_online(request, notice: PaymentNotice):
    """Open a cart with one fresh notice; if pagoPA is down the notice stays, to be paid later or at a shop."""
    try:
        cart = services.cart_open(user=request.user, notice_ids=[notice.pk], return_urls=_return_urls(request))
    except (GatewayUnavailableError, PlatformUnavailableError):
        logger.warning("pagoPA unavailable: top-up notice %s not sent to the checkout", notice.pk)
        messages.warning(request, _platform_down_message())
        return redirect("payments:notice_detail", pk=notice.pk)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("payments:notice_detail", pk=notice.pk)
    return redirect(cart.checkout_url)


def _platform_down_message() -> str:
    return _(
        "Il sistema pagoPA non risponde in questo momento, quindi non possiamo aprire il pagamento online. "
        "L'avviso è pronto: puoi riprovare più tardi, oppure scaricare l'avviso e pagarlo presso banche, "
        "uffici postali, tabaccherie e punti convenzionati, o con l'app della tua banca."
    )


@login_required
@require_GET
def notice_detail(request, pk: int):
    notice = selectors.notice_get_for_user(user=request.user, pk=pk)
    options = sorted(notice.options.all(), key=lambda option: option.instalment)
    single = next((option for option in options if option.instalment == 0), None)
    context = {
        "notice": notice,
        "single": single,
        "instalments": [option for option in options if option.instalment > 0],
        "receipts": list(notice.receipts.all()),
        "is_open": notice.status in OPEN_STATUSES,
        "creditor": pdf.creditor_info(notice),
    }
    return render(request, "payments/notice_detail.html", context)


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def notice_pdf(request, pk: int):
    notice = selectors.notice_get_for_user(user=request.user, pk=pk)
    if notice.status == PaymentNotice.Status.CANCELLED:
        messages.error(request, _("L'avviso è stato annullato: non si può più pagare."))
        return redirect("payments:notice_detail", pk=notice.pk)
    try:
        content = pdf.notice_pdf_get_or_render(notice=notice)
    except pdf.NoticeNotPrintableError:
        messages.error(request, _("L'avviso non è ancora pronto per la stampa: riprova tra qualche minuto."))
        return redirect("payments:notice_detail", pk=notice.pk)
    number = min(notice.options.all(), key=lambda option: option.instalment).notice_number
    return _pdf_response(content, f"avviso-{number}.pdf")


@login_required
@require_GET
def receipt_pdf(request, pk: int):
    receipt = selectors.receipt_get_for_user(user=request.user, pk=pk)
    return _pdf_response(pdf.receipt_pdf_get_or_render(receipt=receipt), pdf.receipt_pdf_filename(receipt))


@login_required
@require_GET
def history(request):
    return render(
        request, "payments/payment_history.html", {"receipts": selectors.receipt_list_for_user(user=request.user)}
    )


@login_required
@require_GET
def ledger(request, child_id: int):
    """One child's balance per service and the movements of the account, newest first (paginated)."""
    service = request.GET.get("service", "")
    if not service_kind_prepaid(service):
        service = ""
    data = selectors.ledger_get_for_user(user=request.user, child_id=child_id, service_kind=service or None)
    context = {
        "child": data["child"],
        "balances": data["balances"],
        "page": Paginator(data["entries"], LEDGER_PAGE_SIZE).get_page(request.GET.get("page")),
        "service": service,
        "services": prepaid_kind_choices(),
    }
    return render(request, "payments/ledger_detail.html", context)


def _cart_context(cart, *, polls: int = 0) -> dict:
    state = selectors.cart_state_get(cart=cart)
    settled, notices, receipts = state.settled, state.notices, state.receipts
    return {
        "cart": cart,
        "settled": settled,
        "cart_notices": notices,
        "retry_ids": [notice.pk for notice in notices if notice.status in OPEN_STATUSES],
        "receipts": receipts,
        "polls": polls,
        "next_poll": polls + 1,
        "keep_polling": not settled and polls < POLL_MAX,
        "poll_seconds": POLL_SECONDS,
    }


@login_required
@require_GET
def cart_return(request, public_id: str, outcome: str):
    """Where the checkout sends the browser back: records the outcome, shows what the receipts say."""
    if outcome not in OUTCOMES:
        raise Http404
    cart = services.cart_return(user=request.user, public_id=public_id, outcome=outcome)
    cart = selectors.cart_get_for_user(user=request.user, public_id=cart.public_id)
    context = {**_cart_context(cart), "outcome": outcome}
    return render(request, "payments/cart_return.html", context)


@login_required
@require_GET
def cart_status(request, public_id: str):
    """The polled fragment of the return page: "in conferma" until every notice has its receipt, then "Pagato"."""
    cart = selectors.cart_get_for_user(user=request.user, public_id=public_id)
    try:
        polls = max(0, min(int(request.GET.get("n", "0")), POLL_MAX))
    except ValueError:
        polls = 0
    return render(request, "payments/_cart_status.html", _cart_context(cart, polls=polls))


@login_required
@require_http_methods(["GET", "POST"])
def notice_amount(request, pk: int):
    """A voluntary contribution: the family chooses how much to give (where the school allows it)."""
    notice = selectors.notice_get_for_user(user=request.user, pk=pk)
    if not free_amount_allowed(notice) or notice.status != PaymentNotice.Status.ISSUED:
        raise Http404
    typed = request.POST.get("amount", "") if request.method == "POST" else f"{notice.amount}".replace(".", ",")
    error = ""
    if request.method == "POST":
        try:
            voluntary_amount_choose(user=request.user, notice_id=notice.pk, amount=typed)
        except DomainError as refused:
            error = str(refused)
        else:
            messages.success(request, _("Importo aggiornato: ora puoi pagare l'avviso."))
            return redirect("payments:notice_detail", pk=notice.pk)
    context = {"notice": notice, "typed": typed, "error": error}
    return render(request, "payments/notice_amount.html", context, status=400 if error else 200)
