"""The parent's enrollment wizard: choose child and services, one page per question, summary, submission.

Every page saves the draft (`enrollment_draft_update`) before moving on; "Salva ed esci" keeps it for later and the
family page offers "Riprendi". The rules live in the services: a refusal comes back as an `EnrollmentError` whose
text is shown on the page where it can be fixed, and nothing is saved. The other parent pages (list, detail,
withdrawal, receipt) are in `views_pages`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import selectors as account_selectors
from portal.errors import DomainError, form_error_add

from . import selectors, services
from .errors import MissingDataError, WindowClosedError
from .forms import DeclarationsForm, ServiceChoiceForm, isee_expired_warning, medical_diet_of
from .models import Enrollment
from .tariffs import UNIT_LABELS
from .views_steps import BY_SLUG, SUMMARY, is_answered, prerequisite, resume_step, step_for_missing, steps_for

Status = Enrollment.Status
RETURN_PARAM, RETURN_TO_SUMMARY = "ritorno", "riepilogo"
EXIT_ACTION = "esci"
# The services' field names → the wizard forms' field names (for errors the services find).
FORM_FIELD = {
    "isee_presented": "presented",
    "isee_amount": "amount",
    "isee_protocol": "protocol",
    "isee_expires_on": "expires_on",
    "details": "medical_details",
}


# --- helpers ---------------------------------------------------------------------------------------------------


def _pages(enrollment: Enrollment) -> list:
    has_classes = bool(enrollment.school_id) and selectors.classes_for_school(school=enrollment.school_id).exists()
    return steps_for(enrollment, has_classes=has_classes)


def step_url(enrollment: Enrollment, slug: str, *, returning: bool = False) -> str:
    url = reverse("enrollment:step", kwargs={"pk": enrollment.pk, "step": slug})
    return f"{url}?{RETURN_PARAM}={RETURN_TO_SUMMARY}" if returning else url


def resume_url(enrollment: Enrollment) -> str:
    """Where "Riprendi" takes the parent for a draft (the detail page for anything else)."""
    if enrollment.status != Status.DRAFT:
        return reverse("enrollment:detail", kwargs={"pk": enrollment.pk})
    return step_url(enrollment, resume_step(enrollment, _pages(enrollment)).slug)


def _previous_year(enrollment: Enrollment, *, user) -> Enrollment | None:
    """Last year's enrollment of the same child in the same service, when the draft was prefilled from it."""
    return (
        selectors.enrollment_list_for_parent(user=user)
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
    window = selectors.window_for(service=enrollment.service, school_year=enrollment.school_year)
    if window is not None and window.is_open():
        return ""
    return str(
        WindowClosedError(opens_at=window.opens_at if window else None, closes_at=window.closes_at if window else None)
    )


def _wizard_context(request, enrollment: Enrollment, pages: list, current) -> dict:
    index = pages.index(current)
    returning = request.GET.get(RETURN_PARAM) == RETURN_TO_SUMMARY
    return {
        "enrollment": enrollment,
        "step": current,
        "pages": pages,
        "number": index + 1,
        "total": len(pages),
        "percent": round(100 * (index + 1) / len(pages)),
        "previous_url": step_url(enrollment, pages[index - 1].slug) if index else "",
        "returning": returning,
        "summary_url": step_url(enrollment, SUMMARY),
        "previous_year": _previous_year(enrollment, user=request.user),
        "window_message": _window_message(enrollment),
        "exit_action": EXIT_ACTION,
    }


def _add_service_error(form, error: DomainError) -> None:
    form_error_add(form, error, field=FORM_FIELD.get(error.field or "", error.field))


# --- start: child and services ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def start(request):
    """ "Iscrivi": choose the child, then the services of the open school year (one draft each)."""
    user = request.user
    children = account_selectors.child_cards_for_user(user=user)
    drafts = [row for row in selectors.enrollment_list_for_parent(user=user) if row.status == Status.DRAFT]
    drafts_context = [{"enrollment": row, "url": resume_url(row)} for row in drafts]
    raw_child = request.POST.get("bambino") or request.GET.get("bambino") or ""
    if not raw_child and len(children) == 1:
        raw_child = str(children[0].pk)
    if not raw_child:
        return render(request, "enrollment/start_child.html", {"children": children, "drafts": drafts_context})
    try:
        child = next(card for card in children if card.pk == int(raw_child))
    except (ValueError, StopIteration):
        raise Http404 from None

    options = selectors.services_open_for_child(user=user, child_id=child.pk)
    form = ServiceChoiceForm(request.POST if request.method == "POST" else None, options=options)
    if request.method == "POST" and form.is_valid():
        started, refused = [], []
        for option in form.chosen_options():
            try:
                started.append(
                    services.enrollment_draft_start(
                        user=user,
                        child_id=child.pk,
                        service_id=option.service.pk,
                        school_year_id=option.school_year.pk,
                    )
                )
            except DomainError as error:
                refused.append(f"{option.service.name}: {error}")
        for message in refused:
            if started:
                messages.error(request, message)
            else:
                form.add_error(None, message)
        if started:
            if len(started) > 1:
                messages.info(
                    request,
                    _(
                        "Abbiamo preparato %(count)s domande per %(name)s: compilale una alla volta. Cominciamo da "
                        "«%(service)s»; le altre ti aspettano tra le domande da completare."
                    )
                    % {"count": len(started), "name": child.first_name, "service": started[0].service.name},
                )
            first = selectors.enrollment_get_for_parent(user=user, pk=started[0].pk)
            return redirect(resume_url(first))
        options = selectors.services_open_for_child(user=user, child_id=child.pk)

    checkboxes = {str(widget.data["value"]): widget for widget in form["windows"]}
    rows = [{"option": option, "checkbox": checkboxes.get(str(option.window.pk))} for option in options]
    rows_by_year: dict = {}
    for row in rows:
        rows_by_year.setdefault(row["option"].school_year, []).append(row)
    # The year one can enroll in first; a running year whose windows have closed comes after.
    years = sorted(rows_by_year.items(), key=lambda item: not any(row["option"].is_open for row in item[1]))
    return render(
        request,
        "enrollment/start_services.html",
        {
            "child": child,
            "children": children,
            "form": form,
            "years": years,
            "can_choose": any(row["checkbox"] is not None for row in rows),
            "drafts": drafts_context,
        },
    )


# --- the pages of one draft ------------------------------------------------------------------------------------


def _save_step(current, form, enrollment: Enrollment, user) -> None:
    """One page's answer into the draft (the medical diet and the diet answer in one transaction)."""
    if current.slug == "dieta" and form.is_medical:
        with transaction.atomic():
            services.enrollment_medical_diet_set(
                enrollment=enrollment,
                user=user,
                details=form.cleaned_data["medical_details"],
                certificate=form.cleaned_data.get("certificate"),
            )
            services.enrollment_draft_update(
                enrollment=enrollment, user=user, step=current.service_step, data=form.data_for_update()
            )
        return
    services.enrollment_draft_update(
        enrollment=enrollment, user=user, step=current.service_step, data=form.data_for_update()
    )


def _after_save(request, enrollment: Enrollment, current, form):
    enrollment = selectors.enrollment_get_for_parent(user=request.user, pk=enrollment.pk)
    if current.slug == "isee" and form.is_expired:
        messages.warning(request, isee_expired_warning(form.cleaned_data["expires_on"]))
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
    pages = _pages(enrollment)
    index = next((i for i, page in enumerate(pages) if page.slug == current.slug), None)
    if index is None:  # the page no longer applies (e.g. a school without classes)
        return redirect(resume_url(enrollment))
    following = pages[index + 1]
    returning = request.GET.get(RETURN_PARAM) == RETURN_TO_SUMMARY
    if returning and (following.slug == SUMMARY or is_answered(following, enrollment)):
        return redirect(step_url(enrollment, SUMMARY))
    return redirect(step_url(enrollment, following.slug, returning=returning))


@login_required
@require_http_methods(["GET", "POST"])
def step(request, pk: int, step: str):
    enrollment = selectors.enrollment_get_for_parent(user=request.user, pk=pk)
    if enrollment.status != Status.DRAFT:
        messages.info(request, _("Questa domanda è già stata inviata: qui trovi il suo stato."))
        return redirect("enrollment:detail", pk=enrollment.pk)
    current = BY_SLUG.get(step)
    if current is None:
        raise Http404
    pages = _pages(enrollment)
    if current not in pages:
        return redirect(resume_url(enrollment))
    needed = prerequisite(current, enrollment)
    if needed is not None:
        return redirect(step_url(enrollment, needed))
    if current.slug == SUMMARY:
        return _summary(request, enrollment, pages, current)

    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = current.form_class(data, files, enrollment=enrollment)
    if request.method == "POST" and form.is_valid():
        try:
            _save_step(current, form, enrollment, request.user)
        except DomainError as error:
            _add_service_error(form, error)
        else:
            return _after_save(request, enrollment, current, form)
    context = _wizard_context(request, enrollment, pages, current)
    context["form"] = form
    expires_on = enrollment.isee_expires_on
    if current.slug == "isee" and enrollment.isee_presented and expires_on and expires_on < timezone.localdate():
        context["isee_warning"] = isee_expired_warning(expires_on)
    if current.slug == "fermata" and enrollment.route_id:
        context["route"] = enrollment.route
    return render(request, current.template, context)


def _summary(request, enrollment: Enrollment, pages: list, current):
    """Everything entered, the tariff it gives, the declarations, and "Invia la domanda"."""
    if request.method == "POST" and request.POST.get("azione") == EXIT_ACTION:
        messages.success(request, _("La domanda è salvata tra quelle da completare: inviala quando vuoi."))
        return redirect("accounts:family")
    form = DeclarationsForm(request.POST if request.method == "POST" else None, enrollment=enrollment)
    fix_step = None
    if request.method == "POST" and form.is_valid():
        try:
            submitted = services.enrollment_submit(enrollment=enrollment, user=request.user, declarations=True)
        except MissingDataError as error:
            form.add_error(None, str(error))
            fix_step = step_for_missing(error, pages)
        except DomainError as error:
            form.add_error(None, str(error))
            fix_step = step_for_missing(error, pages) if error.field else None
        else:
            return redirect("enrollment:done", pk=submitted.pk)
    context = _wizard_context(request, enrollment, pages, current)
    tariff, tariff_error = None, ""
    try:
        tariff = services.enrollment_tariff_preview(enrollment=enrollment)
    except DomainError as error:
        tariff_error = str(error)
    seats = None
    if enrollment.route_id:
        taken, capacity = selectors.route_seats(route=enrollment.route)
        seats = {"free": max(capacity - taken, 0), "capacity": capacity}
    context.update(
        {
            "form": form,
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
                    "answered": is_answered(page, enrollment),
                }
                for page in pages
                if page.slug != SUMMARY
            ],
            "medical_diet": enrollment.diet == Enrollment.Diet.MEDICAL,
            "has_certificate": _has_certificate(enrollment),
        }
    )
    return render(request, current.template, context)


def _has_certificate(enrollment: Enrollment) -> bool:
    medical = medical_diet_of(enrollment)
    return bool(medical is not None and medical.certificate)


# --- after submission ------------------------------------------------------------------------------------------


@login_required
@require_GET
def done(request, pk: int):
    """The confirmation: protocol, status (waiting list position), the tariff and why, the receipt."""
    enrollment = selectors.enrollment_get_for_parent(user=request.user, pk=pk)
    if enrollment.status == Status.DRAFT:
        return redirect(resume_url(enrollment))
    others = [
        {"enrollment": row, "url": resume_url(row)}
        for row in selectors.enrollment_list_for_parent(user=request.user)
        if row.status == Status.DRAFT
    ]
    return render(
        request,
        "enrollment/done.html",
        {
            "enrollment": enrollment,
            "tariff_lines": selectors.enrollment_tariff_lines(enrollment=enrollment),
            "tariff_unit": UNIT_LABELS.get(enrollment.service.unit, ""),
            "drafts": others,
        },
    )
