"""The parent's pages about enrollments already started: the list, one enrollment, withdrawal, the receipt.

A draft has no detail page of its own: its pages are the wizard's, so "detail" takes the parent back there.
Health data never appear here: a diet is only "dieta speciale richiesta" and the office's decision on it. The ISEE
value shows only to who may see it (`selectors.enrollment_private_data_visible`): a delegate reads "Presentato".
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from portal.errors import DomainError

from .. import selectors, services, tariffs
from ..models import Enrollment, SchoolYear
from ..pdf import enrollment_receipt_render, receipt_filename
from ..selectors import PARENT_WITHDRAWABLE
from ..tariffs import UNIT_LABELS
from ..wizard import resume_url
from .common import signed_in_user

Status = Enrollment.Status


@login_required
@require_GET
def enrollment_list(request: HttpRequest) -> HttpResponse:
    """Every enrollment of the family (drafts too), by school year."""
    rows = list(selectors.enrollment_list_for_user(user=signed_in_user(request)))
    years: dict[SchoolYear, list[dict[str, Any]]] = {}
    for row in rows:
        years.setdefault(row.school_year, []).append({"enrollment": row, "url": resume_url(row)})
    return render(request, "enrollment/enrollment_list.html", {"years": list(years.items())})


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    enrollment = selectors.enrollment_get_for_user(user=user, pk=pk)
    if enrollment.status == Status.DRAFT:
        return redirect(resume_url(enrollment))
    return render(
        request,
        "enrollment/enrollment_detail.html",
        {
            "enrollment": enrollment,
            "tariff_lines": selectors.enrollment_tariff_lines(enrollment=enrollment),
            "tariff_unit": UNIT_LABELS.get(enrollment.service.unit, ""),
            "can_withdraw": enrollment.status in PARENT_WITHDRAWABLE,
            "special_diet": enrollment.diet != Enrollment.Diet.NONE,
            "private_visible": selectors.enrollment_private_data_visible(user=user, enrollment=enrollment),
            "meals_example_count": tariffs.MEALS_EXAMPLE,  # a prepaid canteen: "20 pasti = 56,00 €"
            "meals_example_amount": tariffs.meals_example(enrollment.tariff_amount),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a sent enrollment (or delete a draft), after a confirmation page."""
    enrollment = selectors.enrollment_get_for_user(user=signed_in_user(request), pk=pk)
    is_draft = enrollment.status == Status.DRAFT
    if not is_draft and enrollment.status not in PARENT_WITHDRAWABLE:
        messages.info(request, _("Questa iscrizione non si può più ritirare."))
        return redirect("enrollment:detail", pk=enrollment.pk)
    error = ""
    if request.method == "POST":
        try:
            if is_draft:
                services.enrollment_draft_discard(enrollment=enrollment, user=signed_in_user(request))
            else:
                services.enrollment_withdraw(enrollment=enrollment, user=signed_in_user(request))
        except DomainError as exc:
            error = str(exc)
        else:
            if is_draft:
                messages.success(request, _("La bozza è stata eliminata."))
                return redirect("accounts:family")
            messages.success(
                request,
                _("Hai ritirato l'iscrizione %(protocol)s. Ti abbiamo inviato una conferma per e-mail.")
                % {"protocol": enrollment.protocol},
            )
            return redirect("enrollment:detail", pk=enrollment.pk)
    return render(
        request,
        "enrollment/enrollment_withdraw.html",
        {"enrollment": enrollment, "is_draft": is_draft, "error": error, "back_url": resume_url(enrollment)},
    )


@login_required
@require_GET
def receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The enrollment receipt (PDF), for an enrollment that has been sent."""
    enrollment = selectors.enrollment_get_for_user(user=signed_in_user(request), pk=pk)
    if enrollment.status == Status.DRAFT or not enrollment.protocol:
        raise Http404
    response = HttpResponse(enrollment_receipt_render(enrollment=enrollment), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, receipt_filename(enrollment)) or ""
    return response
