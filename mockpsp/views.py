"""The fake's pages: the Checkout a parent is sent to, the "pay at a shop" counter, the behaviour control page.

They are the platform's and the PSPs' pages, not the portal's: anyone may open them (the fake runs only in
development and tests), and their outcome reaches the portal only as return URLs and pushed receipts.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import delivery, services
from .faults import MockFaultError
from .forms import BehaviourForm, CheckoutPayForm, FdrChangeForm, ShopLookupForm, ShopPayForm
from .models import Behaviour, Checkout, PaymentOption, Receipt, ReceiptDelivery
from .psps import METHODS, psps_for


def _checkout_or_404(token: str) -> Checkout:
    checkout = Checkout.objects.filter(token=token).first()
    if checkout is None:
        raise Http404
    return checkout


def _closed(request: HttpRequest, checkout: Checkout) -> HttpResponse:
    return render(request, "mockpsp/checkout_closed.html", {"checkout": checkout})


@require_GET
def checkout(request: HttpRequest, token: str) -> HttpResponse:
    """The cart: notices, amounts, total, and the choice of a payment method."""
    cart = _checkout_or_404(token)
    if cart.state != Checkout.State.OPEN:
        return _closed(request, cart)
    methods = [(key, label) for key, (label, _code) in METHODS.items()]
    return render(request, "mockpsp/checkout_detail.html", {"checkout": cart, "methods": methods})


@require_http_methods(["GET", "POST"])
def checkout_pay(request: HttpRequest, token: str) -> HttpResponse:
    """PSPs for the chosen method (cheapest first), the card field, pay; then back to the creditor's return URL."""
    cart = _checkout_or_404(token)
    if cart.state != Checkout.State.OPEN:
        return _closed(request, cart)
    method = request.POST.get("method") or request.GET.get("metodo", "")
    if method not in METHODS:
        return redirect("mockpsp:checkout", token=cart.token)
    form = CheckoutPayForm(request.POST or None, method=method)
    if request.method == "POST" and form.is_valid():
        psp = form.cleaned_data["psp"]
        outcome = form.card_outcome
        if outcome == "declined":
            services.checkout_decline(token=cart.token, psp=psp, method=method)
            return HttpResponseRedirect(cart.return_error_url)
        try:
            services.checkout_pay(token=cart.token, psp=psp, method=method, delayed=outcome == "timeout")
        except MockFaultError as error:
            return render(request, "mockpsp/checkout_error.html", {"checkout": cart, "error": error})
        if outcome == "timeout":
            return HttpResponseRedirect(cart.return_waiting_url or cart.return_ok_url)
        return HttpResponseRedirect(cart.return_ok_url)
    context = {
        "checkout": cart,
        "form": form,
        "method": method,
        "method_label": METHODS[method][0],
        "fees": {psp.id: psp.fee_cents for psp in psps_for(method)},
    }
    return render(request, "mockpsp/checkout_pay.html", context)


@require_POST
def checkout_cancel(request: HttpRequest, token: str) -> HttpResponse:
    cart = _checkout_or_404(token)
    cart = services.checkout_cancel(token=cart.token)
    if cart.state != Checkout.State.CANCELLED:
        return _closed(request, cart)
    return HttpResponseRedirect(cart.return_cancel_url)


@require_http_methods(["GET", "POST"])
def shop(request: HttpRequest) -> HttpResponse:
    """Pay at a shop: type the codice avviso and the creditor's CF (or paste the QR), verify, choose where, pay."""
    option = None
    pay_form = None
    if request.method == "POST":
        lookup = ShopLookupForm()
        pay_form = ShopPayForm(request.POST)
        if pay_form.is_valid():
            data = pay_form.cleaned_data
            try:
                receipt = services.shop_pay(organization=data["creditor"], nav=data["nav"], psp=data["psp"])
            except MockFaultError as error:
                lookup = ShopLookupForm({"notice_number": data["nav"], "creditor_fiscal_code": data["creditor"]})
                lookup.is_valid()
                lookup.add_error(None, error.user_message)
                pay_form = None
            else:
                return redirect("mockpsp:shop_done", token=receipt.receipt_id)
        else:
            lookup = ShopLookupForm(
                {
                    "notice_number": request.POST.get("nav", ""),
                    "creditor_fiscal_code": request.POST.get("creditor", ""),
                }
            )
            if lookup.is_valid():
                option = _shop_verify(lookup)
    elif request.GET:
        lookup = ShopLookupForm(request.GET)
        if lookup.is_valid():
            option = _shop_verify(lookup)
            if option is not None:
                pay_form = ShopPayForm(initial={"nav": option.nav, "creditor": lookup.cleaned_data["creditor"]})
    else:
        lookup = ShopLookupForm()
    return render(request, "mockpsp/shop_pay.html", {"lookup": lookup, "option": option, "pay_form": pay_form})


def _shop_verify(lookup: ShopLookupForm) -> PaymentOption | None:
    try:
        return services.option_verify(organization=lookup.cleaned_data["creditor"], nav=lookup.cleaned_data["nav"])
    except MockFaultError as error:
        lookup.add_error(None, error.user_message)
        return None


@require_GET
def shop_done(request: HttpRequest, token: str) -> HttpResponse:
    receipt = Receipt.objects.filter(receipt_id=token).select_related("option__position").first()
    if receipt is None:
        raise Http404
    return render(request, "mockpsp/shop_done.html", {"receipt": receipt, "body": receipt.body})


@require_http_methods(["GET", "POST"])
def control(request: HttpRequest) -> HttpResponse:
    """Set how the fake misbehaves, and send now the receipts that wait."""
    behaviour = Behaviour.current()
    if request.method == "POST" and request.POST.get("action") == "flush":
        sent = delivery.receipt_deliveries_flush()
        messages.success(request, _("Ricevute consegnate ora: %(n)d.") % {"n": sent})
        return redirect("mockpsp:control")
    fdr_form = FdrChangeForm(request.POST if request.POST.get("action") == "fdr" else None)
    if fdr_form.is_bound and fdr_form.is_valid():
        amount = fdr_form.cleaned_data.get("amount")
        try:
            services.receipt_fdr_change(
                receipt_id=fdr_form.cleaned_data["receipt_id"],
                action=fdr_form.cleaned_data["fdr_action"],
                amount_cents=int(amount * 100) if amount is not None else None,
            )
        except MockFaultError as error:
            fdr_form.add_error("receipt_id", error.user_message)
        else:
            messages.success(request, _("Flusso di rendicontazione modificato: ne esce una nuova revisione."))
            return redirect("mockpsp:control")
    initial = {
        "delay_seconds": behaviour.delay_seconds,
        "send_twice": behaviour.send_twice,
        "out_of_order": behaviour.out_of_order,
        "fail_first_n": behaviour.fail_first_n,
        "check_digit_strict": behaviour.check_digit_strict,
        "lose_pushes": behaviour.lose_pushes,
    }
    saving = request.method == "POST" and request.POST.get("action") not in ("flush", "fdr")
    form = BehaviourForm(request.POST if saving else None, initial=initial)
    if form.is_bound and form.is_valid():
        services.behaviour_set(**form.cleaned_data)
        messages.success(request, _("Comportamento del simulatore salvato."))
        return redirect("mockpsp:control")
    deliveries = ReceiptDelivery.objects.select_related("receipt__option").order_by("-pk")[:30]
    context = {"form": form, "fdr_form": fdr_form, "behaviour": behaviour, "deliveries": deliveries}
    return render(request, "mockpsp/behaviour_form.html", context)
