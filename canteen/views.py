"""The parents' meals page and its actions; thin: the reads are in canteen.statement, the writes in services."""

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Child
from accounts.selectors import children_for_user
from portal.csv_export import csv_chunks, csv_response
from portal.errors import DomainError

from . import pdf, services, statement
from .forms import CancelForm, ThresholdForm, YearEndForm
from .models import LowBalanceThreshold, MealCancellation, YearEndRequest


def _page_or_404(request, child_id: int, month: str | None = None) -> statement.MealsPage:
    try:
        return statement.meals_page(user=request.user, child_id=child_id, month=month)
    except Child.DoesNotExist as error:
        raise Http404 from error


def _cancellable_days(page: statement.MealsPage) -> list[datetime.date]:
    return [day.date for week in page.weeks for day in week if day.in_month and day.cancellable]


def _context(request, page: statement.MealsPage, **extra) -> dict:
    threshold = LowBalanceThreshold.objects.filter(child=page.child).first()
    pending = YearEndRequest.objects.filter(child=page.child).order_by("-requested_at").first()
    return {
        "page": page,
        "child": page.child,
        "cancel_form": extra.pop("cancel_form", None) or CancelForm(day_choices=_cancellable_days(page)),
        "threshold_form": extra.pop("threshold_form", None)
        or ThresholdForm(initial={"amount": threshold.amount if threshold else None}),
        "threshold": threshold,
        "year_end": pending,
        **extra,
    }


@login_required
@require_GET
def meals(request, child_id: int):
    page = _page_or_404(request, child_id, request.GET.get("mese"))
    return render(request, "canteen/meals.html", _context(request, page))


def _chosen_days(form: CancelForm, page: statement.MealsPage) -> list[datetime.date]:
    days = list(form.cleaned_data.get("days") or [])
    first, last = form.cleaned_data.get("first"), form.cleaned_data.get("last")
    if first and last and page.enrollment is not None:
        days += services.days_in_range(enrollment=page.enrollment, first=first, last=last)
    return days


@login_required
@require_POST
def cancel(request, child_id: int):
    page = _page_or_404(request, child_id, request.POST.get("mese"))
    if page.enrollment is None:
        raise Http404
    # The choices are the days still open on the server's clock: a day past its cut-off is refused by the service
    # (a forged or replayed request), so every submitted date is accepted by the form and checked there.
    submitted = [value for value in request.POST.getlist("days") if value]
    choices = []
    for value in submitted:
        try:
            choices.append(datetime.date.fromisoformat(value))
        except ValueError:
            continue
    form = CancelForm(request.POST, day_choices=choices)
    if form.is_valid():
        try:
            days = _chosen_days(form, page)
            if form.cleaned_data["action"] == "withdraw":
                count = services.meals_cancel_withdraw(enrollment=page.enrollment, days=days, actor=request.user)
                messages.success(request, _("Pasti ripristinati: %(n)s.") % {"n": count})
            else:
                created = services.meals_cancel(
                    enrollment=page.enrollment, days=days, kind=form.cleaned_data["kind"], actor=request.user
                )
                kind_label = MealCancellation.Kind(form.cleaned_data["kind"]).label
                messages.success(
                    request,
                    _("Fatto: %(kind)s per %(days)s.")
                    % {
                        "kind": str(kind_label).lower(),
                        "days": ", ".join(f"{c.date:%d/%m}" for c in created) or _("i giorni scelti"),
                    },
                )
            return redirect(f"{reverse('canteen:meals', kwargs={'child_id': child_id})}?mese={page.month:%Y-%m}")
        except DomainError as error:
            form.add_error(None, str(error))
    return render(request, "canteen/meals.html", _context(request, page, cancel_form=form), status=400)


@login_required
@require_POST
def threshold(request, child_id: int):
    page = _page_or_404(request, child_id)
    form = ThresholdForm(request.POST)
    if form.is_valid():
        try:
            services.threshold_set(user=request.user, child=page.child, amount=form.cleaned_data["amount"])
            messages.success(request, _("Soglia salvata."))
            return redirect("canteen:meals", child_id=child_id)
        except DomainError as error:
            form.add_error("amount", str(error))
    return render(request, "canteen/meals.html", _context(request, page, threshold_form=form), status=400)


@login_required
@require_GET
def statement_csv(request, child_id: int):
    page = _page_or_404(request, child_id)
    filename = f"mensa_{page.child.codice_fiscale}_{timezone.localdate():%Y-%m-%d}.csv"
    return csv_response(
        (filename, "text/csv; charset=utf-8", csv_chunks(statement.STATEMENT_HEADER, statement.statement_rows(page)))
    )


@login_required
@require_GET
def statement_pdf(request, child_id: int):
    page = _page_or_404(request, child_id)
    content = pdf.statement_pdf(page=page)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="estratto_mensa_{page.child.codice_fiscale}.pdf"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def year_end(request, child_id: int):
    page = _page_or_404(request, child_id)
    siblings = [c for c in children_for_user(user=request.user) if c.pk != page.child.pk]
    initial = {"amount": max(page.balance, Decimal(0))}
    data = request.POST if request.method == "POST" else None
    form = YearEndForm(data, siblings=siblings, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        to_child = next((c for c in siblings if c.pk == data.get("to_child")), None)
        try:
            services.year_end_request(
                user=request.user,
                child=page.child,
                kind=data["kind"],
                amount=data["amount"],
                iban=data.get("iban") or "",
                account_holder=data.get("account_holder") or "",
                to_child=to_child,
            )
            messages.success(request, _("Richiesta inviata: l'ufficio scuola la esaminerà e vedrai qui l'esito."))
            return redirect("canteen:meals", child_id=child_id)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
    return render(
        request,
        "canteen/year_end.html",
        {"page": page, "child": page.child, "form": form},
        status=400 if request.method == "POST" else 200,
    )
