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
    return render(request, "payments/school/event_detail.html", _context(event, SchoolEventCancelForm()))


def _context(event: SchoolPaymentEvent, cancel_form: SchoolEventCancelForm) -> dict:
    """The event's page: while its notices are issued or cancelled by a task, it reloads itself."""
    working = event.status in (SchoolPaymentEvent.Status.ISSUING, SchoolPaymentEvent.Status.CANCELLING)
    return {
        "event": event,
        "report": selectors.event_report(event),
        "issuing": event.status == SchoolPaymentEvent.Status.ISSUING,
        "refresh_seconds": REFRESH_SECONDS if working else None,
        "percent": int(100 * event.issued / event.planned) if event.planned else 100,
        "cancel_form": cancel_form,
    }


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
    if form.is_valid():
        try:
            services.school_event_cancel(event=event, actor=user, reason=form.cleaned_data["reason"])
        except DomainError as refused:
            form.add_error("reason", str(refused))
        else:
            return redirect("payments:school_event", pk=event.pk)
    return render(request, "payments/school/event_detail.html", _context(event, form), status=400)
