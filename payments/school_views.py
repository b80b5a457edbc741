"""The school staff's payment events: the list, a new event, its page (progress while issuing; paid and unpaid by
class; totals), its CSV, reminders and cancellation. Only the staff of the event's school reach them (404 else)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enrollment.exports import school_year_current
from enrollment.views.common import signed_in_user
from portal.csv_export import csv_response
from portal.errors import DomainError

from . import school_selectors as selectors
from .models import SchoolPaymentEvent
from .school_forms import SchoolEventCancelForm, SchoolEventForm
from .services import school_events as services

REFRESH_SECONDS = 2


@login_required
@require_GET
def school_events(request: HttpRequest) -> HttpResponse:
    staff = selectors.staff_get(user=signed_in_user(request))
    context = {
        "schools": selectors.staff_creditor_schools(staff=staff),
        "events": selectors.staff_events(staff=staff),
    }
    return render(request, "payments/school/events.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def school_event_new(request: HttpRequest, school_id: int) -> HttpResponse:
    user = signed_in_user(request)
    school = selectors.staff_school_get(staff=selectors.staff_get(user=user), pk=school_id)
    year = school_year_current()
    if year is None:
        raise Http404
    pupils = services.school_pupils(school=school, year=year)
    classes = selectors.school_classes(school=school)
    form = SchoolEventForm(request.POST or None, classes=classes, pupils=pupils)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        draft = services.EventDraft(
            school=school,
            year=year,
            title=data["title"],
            kind=data["kind"],
            amount=data["amount"],
            due_date=data["due_date"],
            voluntary=data["voluntary"],
            per_family=data["per_family"],
            free_amount=data["free_amount"],
            target=data["target"],
            class_ids=data["classes"],
            child_ids=data["children"],
            note=data["note"],
        )
        try:
            event = services.school_event_create(draft=draft, actor=user)
            messages.success(request, _("Evento creato: gli avvisi sono in emissione."))
            return redirect("payments:school_event", pk=event.pk)
        except DomainError as error:
            form.add_error(None, str(error))
    context = {"school": school, "year": year, "form": form, "pupils_count": len(pupils)}
    return render(request, "payments/school/event_new.html", context, status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def school_event(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.staff_event_get(staff=selectors.staff_get(user=signed_in_user(request)), pk=pk)
    issuing = event.status == SchoolPaymentEvent.Status.ISSUING
    context = {
        "event": event,
        "report": selectors.event_report(event),
        "issuing": issuing,
        "refresh_seconds": REFRESH_SECONDS if issuing else None,
        "percent": int(100 * event.issued / event.planned) if event.planned else 100,
        "cancel_form": SchoolEventCancelForm(),
    }
    return render(request, "payments/school/event_detail.html", context)


@login_required
@require_GET
def school_event_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    event = selectors.staff_event_get(staff=selectors.staff_get(user=signed_in_user(request)), pk=pk)
    return csv_response(selectors.event_csv(event))


@login_required
@require_POST
def school_event_remind(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    event = selectors.staff_event_get(staff=selectors.staff_get(user=user), pk=pk)
    try:
        sent = services.school_event_remind(event=event, actor=user)
        messages.success(
            request,
            ngettext("Sollecito inviato a %(n)d famiglia.", "Sollecito inviato a %(n)d famiglie.", sent) % {"n": sent},
        )
    except DomainError as error:
        messages.error(request, str(error))
    return redirect("payments:school_event", pk=event.pk)


@login_required
@require_POST
def school_event_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    event = selectors.staff_event_get(staff=selectors.staff_get(user=user), pk=pk)
    form = SchoolEventCancelForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            result = services.school_event_cancel(event=event, actor=user, reason=form.cleaned_data["reason"])
        except DomainError as refused:
            error = str(refused)
        else:
            if result.not_cancelled:
                messages.error(
                    request,
                    _("Alcuni avvisi non sono stati annullati: %(list)s. Riprova più tardi.")
                    % {"list": "; ".join(result.not_cancelled[:5])},
                )
            else:
                messages.success(
                    request,
                    _("Evento annullato: %(n)d avvisi annullati, %(paid)d già pagati da rimborsare.")
                    % {"n": result.cancelled, "paid": len(result.paid)},
                )
            return redirect("payments:school_event", pk=event.pk)
    if error:
        form.add_error("reason", error)
    context = {
        "event": event,
        "report": selectors.event_report(event),
        "issuing": False,
        "refresh_seconds": None,
        "percent": 100,
        "cancel_form": form,
    }
    return render(request, "payments/school/event_detail.html", context, status=400)
