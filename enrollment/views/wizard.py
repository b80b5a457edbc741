"""The pages of one draft: one wizard step per page, the summary with the submission, the confirmation.

Every page saves the draft before moving on; "Salva ed esci" keeps it for later and the family page offers
"Riprendi". The view loads the draft through the selector, asks the step (`enrollment.wizard`) for its form,
validates it and lets the step call the service. A refusal comes back as an `EnrollmentError` whose text is shown
on the page where it can be fixed, and nothing is saved.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from portal.errors import DomainError, form_error_add

from .. import selectors, services
from ..errors import MissingDataError, WindowClosedError
from ..models import Enrollment
from ..tariffs import UNIT_LABELS
from ..wizard import (
    BY_SLUG,
    RETURN_PARAM,
    RETURN_TO_SUMMARY,
    SUMMARY,
    Step,
    pages_for,
    resume_url,
    step_for_missing,
    step_url,
)
from ..wizard.forms import DeclarationsForm, StepForm, medical_diet_of
from .common import signed_in_user

Status = Enrollment.Status
EXIT_ACTION = "esci"


# --- helpers ---------------------------------------------------------------------------------------------------


def _previous_year(enrollment: Enrollment, *, user: User) -> Enrollment | None:
    """Last year's enrollment of the same child in the same service, when the draft was prefilled from it."""
    return (
        selectors.enrollment_list_for_user(user=user)
        .filter(
            child_id=enrollment.child_id,
            service_id=enrollment.service_id,
            school_year__starts_on__lt=enrollment.school_year.starts_on,
        )
        .exclude(status=Status.DRAFT)
        .first()
    )


def _window_message(enrollment: Enrollment) -> str:
    """Why the draft cannot be sent now (window not open), or ''."""
    window = selectors.window_get(service=enrollment.service, school_year=enrollment.school_year)
    if window is not None and window.is_open():
        return ""
    return str(
        WindowClosedError(opens_at=window.opens_at if window else None, closes_at=window.closes_at if window else None)
    )


def _returning(request: HttpRequest) -> bool:
    return request.GET.get(RETURN_PARAM) == RETURN_TO_SUMMARY


def _wizard_context(request: HttpRequest, enrollment: Enrollment, pages: list[Step], current: Step) -> dict[str, Any]:
    index = pages.index(current)
    return {
        "enrollment": enrollment,
        "step": current,
        "pages": pages,
        "number": index + 1,
        "total": len(pages),
        "percent": round(100 * (index + 1) / len(pages)),
        "previous_url": step_url(enrollment, pages[index - 1].slug) if index else "",
        "returning": _returning(request),
        "summary_url": step_url(enrollment, SUMMARY),
        "previous_year": _previous_year(enrollment, user=signed_in_user(request)),
        "window_message": _window_message(enrollment),
        "exit_action": EXIT_ACTION,
    }


# --- the pages of one draft ------------------------------------------------------------------------------------


def _after_save(request: HttpRequest, enrollment: Enrollment, current: Step, form: StepForm) -> HttpResponse:
    enrollment = selectors.enrollment_get_for_user(user=signed_in_user(request), pk=enrollment.pk)
    warning = current.saved_message(form)
    if warning:
        messages.warning(request, warning)
    if request.POST.get("azione") == EXIT_ACTION:
        messages.success(
            request,
            _(
                "Abbiamo salvato la domanda di %(name)s per «%(service)s». La ritrovi nella pagina della famiglia: "
                "premi «Riprendi» per continuare. Ricorda di inviarla prima della chiusura delle iscrizioni."
            )
            % {"name": enrollment.child.first_name, "service": enrollment.service.name},
        )
        return redirect("accounts:family")
    pages = pages_for(enrollment)
    index = next((i for i, page in enumerate(pages) if page.slug == current.slug), None)
    if index is None:  # the page no longer applies (e.g. a school without classes)
        return redirect(resume_url(enrollment))
    following = pages[index + 1]
    returning = _returning(request)
    if returning and (following.slug == SUMMARY or following.is_answered(enrollment)):
        return redirect(step_url(enrollment, SUMMARY))
    return redirect(step_url(enrollment, following.slug, returning=returning))


@login_required
@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    enrollment = selectors.enrollment_get_for_user(user=signed_in_user(request), pk=pk)
    if enrollment.status != Status.DRAFT:
        messages.info(request, _("Questa domanda è già stata inviata: qui trovi il suo stato."))
        return redirect("enrollment:detail", pk=enrollment.pk)
    current = BY_SLUG.get(step)
    if current is None:
        raise Http404
    pages = pages_for(enrollment)
    if current not in pages:
        return redirect(resume_url(enrollment))
    needed = current.prerequisite(enrollment)
    if needed is not None:
        return redirect(step_url(enrollment, needed))
    if current.slug == SUMMARY:
        return _summary(request, enrollment, pages, current)

    posted = request.method == "POST"
    form = current.form(
        enrollment,
        request.POST if posted else None,
        request.FILES if posted else None,
        private_visible=selectors.enrollment_private_data_visible(user=signed_in_user(request), enrollment=enrollment),
    )
    if posted and form.is_valid():
        try:
            current.save(form, enrollment=enrollment, user=signed_in_user(request))
        except DomainError as error:
            form_error_add(form, error, field=current.form_field(error.field))
        else:
            return _after_save(request, enrollment, current, form)
    context = _wizard_context(request, enrollment, pages, current)
    context["form"] = form
    context.update(current.extra_context(enrollment))
    return render(request, current.template, context)


# --- the summary and the submission ----------------------------------------------------------------------------


def _submit(
    request: HttpRequest, form: DeclarationsForm, enrollment: Enrollment, pages: list[Step]
) -> Enrollment | Step | None:
    """The submission: the sent enrollment, or the page where a refusal can be fixed (None when there is none)."""
    try:
        return services.enrollment_submit(enrollment=enrollment, user=signed_in_user(request), declarations=True)
    except MissingDataError as error:
        form.add_error(None, str(error))
        return step_for_missing(error, pages)
    except DomainError as error:
        form.add_error(None, str(error))
        return step_for_missing(error, pages) if error.field else None


def _summary_context(enrollment: Enrollment, pages: list[Step], fix_step: Step | None) -> dict[str, Any]:
    tariff, tariff_error = None, ""
    try:
        tariff = services.enrollment_tariff_preview(enrollment=enrollment)
    except DomainError as error:
        tariff_error = str(error)
    seats = None
    if enrollment.route is not None:
        taken, capacity = selectors.route_seats_count(route=enrollment.route)
        seats = {"free": max(capacity - taken, 0), "capacity": capacity}
    return {
        "tariff": tariff,
        "tariff_lines": tariff.explain() if tariff else [],
        "tariff_unit": UNIT_LABELS.get(enrollment.service.unit, ""),
        "tariff_error": tariff_error,
        "seats": seats,
        "fix_url": step_url(enrollment, fix_step.slug, returning=True) if fix_step else "",
        "fix_title": fix_step.title if fix_step else "",
        "sections": [
            {
                "step": page,
                "url": step_url(enrollment, page.slug, returning=True),
                "answered": page.is_answered(enrollment),
            }
            for page in pages
            if page.slug != SUMMARY
        ],
        "medical_diet": enrollment.diet == Enrollment.Diet.MEDICAL,
        "has_certificate": _has_certificate(enrollment),
    }


def _summary(request: HttpRequest, enrollment: Enrollment, pages: list[Step], current: Step) -> HttpResponse:
    """Everything entered, the tariff it gives, the declarations, and "Invia la domanda"."""
    if request.method == "POST" and request.POST.get("azione") == EXIT_ACTION:
        messages.success(request, _("La domanda è salvata tra quelle da completare: inviala quando vuoi."))
        return redirect("accounts:family")
    form = DeclarationsForm(request.POST if request.method == "POST" else None, enrollment=enrollment)
    fix_step = None
    if request.method == "POST" and form.is_valid():
        outcome = _submit(request, form, enrollment, pages)
        if isinstance(outcome, Enrollment):
            return redirect("enrollment:done", pk=outcome.pk)
        fix_step = outcome
    context = _wizard_context(request, enrollment, pages, current)
    context["form"] = form
    context.update(_summary_context(enrollment, pages, fix_step))
    context["private_visible"] = selectors.enrollment_private_data_visible(
        user=signed_in_user(request), enrollment=enrollment
    )
    return render(request, current.template, context)


def _has_certificate(enrollment: Enrollment) -> bool:
    medical = medical_diet_of(enrollment)
    return bool(medical is not None and medical.certificate)


# --- after submission ------------------------------------------------------------------------------------------


@login_required
@require_GET
def done(request: HttpRequest, pk: int) -> HttpResponse:
    """The confirmation: protocol, status (waiting list position), the tariff and why, the receipt."""
    user = signed_in_user(request)
    enrollment = selectors.enrollment_get_for_user(user=user, pk=pk)
    if enrollment.status == Status.DRAFT:
        return redirect(resume_url(enrollment))
    others = [
        {"enrollment": row, "url": resume_url(row)}
        for row in selectors.enrollment_list_for_user(user=user)
        if row.status == Status.DRAFT
    ]
    return render(
        request,
        "enrollment/enrollment_done.html",
        {
            "enrollment": enrollment,
            "tariff_lines": selectors.enrollment_tariff_lines(enrollment=enrollment),
            "tariff_unit": UNIT_LABELS.get(enrollment.service.unit, ""),
            "drafts": others,
        },
    )
