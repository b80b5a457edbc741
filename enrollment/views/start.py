"""The start of an enrollment ("Iscrivi"): choose the child, then the services of the open school year (one draft
each); the wizard's pages follow (`views.wizard`)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import selectors as account_selectors
from portal.errors import DomainError

from .. import selectors, services
from ..forms import ServiceChoiceForm
from ..models import Enrollment
from ..selectors import ServiceOption
from ..wizard import resume_url
from .common import signed_in_user

Status = Enrollment.Status


def _child_chosen(request: HttpRequest, children: list[Any]) -> Any | None:
    """The child card asked for (the only one when the family has one child); another family's child → 404."""
    raw_child = request.POST.get("bambino") or request.GET.get("bambino") or ""
    if not raw_child and len(children) == 1:
        raw_child = str(children[0].pk)
    if not raw_child:
        return None
    try:
        return next(card for card in children if card.pk == int(raw_child))
    except (ValueError, StopIteration):
        raise Http404 from None


def _drafts_start(request: HttpRequest, form: ServiceChoiceForm, child: Any) -> list[Enrollment]:
    """One draft per chosen service; a refusal is said on the form (nothing started) or as a message."""
    user = signed_in_user(request)
    started, refused = [], []
    for option in form.chosen_options():
        try:
            started.append(
                services.enrollment_draft_start(
                    user=user, child_id=child.pk, service_id=option.service.pk, school_year_id=option.school_year.pk
                )
            )
        except DomainError as error:
            refused.append(f"{option.service.name}: {error}")
    for message in refused:
        if started:
            messages.error(request, message)
        else:
            form.add_error(None, message)
    if len(started) > 1:
        messages.info(
            request,
            _(
                "Abbiamo preparato %(count)s domande per %(name)s: compilale una alla volta. Cominciamo da "
                "«%(service)s»; le altre ti aspettano tra le domande da completare."
            )
            % {"count": len(started), "name": child.first_name, "service": started[0].service.name},
        )
    return started


def _years(form: ServiceChoiceForm, options: list[ServiceOption]) -> list[tuple[Any, list[dict[str, Any]]]]:
    """The options by school year, each with its checkbox: the year one can enroll in first."""
    checkboxes = {str(widget.data["value"]): widget for widget in form["windows"]}
    rows_by_year: dict[Any, list[dict[str, Any]]] = {}
    for option in options:
        row = {"option": option, "checkbox": checkboxes.get(str(option.window.pk))}
        rows_by_year.setdefault(option.school_year, []).append(row)
    # A running year whose windows have closed comes after.
    return sorted(rows_by_year.items(), key=lambda item: not any(row["option"].is_open for row in item[1]))


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """ "Iscrivi": choose the child, then the services of the open school year (one draft each)."""
    user = signed_in_user(request)
    children = account_selectors.child_cards_for_user(user=user)
    drafts = [row for row in selectors.enrollment_list_for_user(user=user) if row.status == Status.DRAFT]
    drafts_context = [{"enrollment": row, "url": resume_url(row)} for row in drafts]
    child = _child_chosen(request, children)
    if child is None:
        context = {"children": children, "drafts": drafts_context}
        return render(request, "enrollment/enrollment_start_child.html", context)

    options = selectors.service_options_for_user(user=user, child_id=child.pk)
    form = ServiceChoiceForm(request.POST if request.method == "POST" else None, options=options)
    if request.method == "POST" and form.is_valid():
        started = _drafts_start(request, form, child)
        if started:
            first = selectors.enrollment_get_for_user(user=user, pk=started[0].pk)
            return redirect(resume_url(first))
        options = selectors.service_options_for_user(user=user, child_id=child.pk)

    years = _years(form, options)
    return render(
        request,
        "enrollment/enrollment_start_services.html",
        {
            "child": child,
            "children": children,
            "form": form,
            "years": years,
            "can_choose": any(row["checkbox"] is not None for _year, rows in years for row in rows),
            "drafts": drafts_context,
        },
    )
