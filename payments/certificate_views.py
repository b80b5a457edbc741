"""Parents' certificates ("Pagamenti → Attestazioni": only those made out to them; any other is a 404) and the public
verification page (a code proves a certificate exists: year, totals, issue date, status, nothing else)."""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Child
from accounts.selectors import child_get_for_user, children_for_user, guardians_of_child
from enrollment.views.common import signed_in_user
from portal.errors import DomainError

from .certificate_pdf import certificate_pdf_filename, certificate_pdf_get_or_render
from .models import ExpenseSplit, TaxCertificate
from .services.certificates import certificates_refresh_if_issued, expense_split_declare

CODE_SHAPE = re.compile(r"^[A-Z0-9]{12}$")


def _mine(request):
    return TaxCertificate.objects.filter(holder_fiscal_code=request.user.codice_fiscale).select_related("child")


@login_required
@require_GET
def certificates(request):
    rows = _mine(request).order_by("-year", "child__first_name", "-issued_at")
    children = children_for_user(user=signed_in_user(request)).order_by("first_name").distinct()
    context = {"certificates": rows, "children": children, "split_year": timezone.localdate().year - 1}
    return render(request, "payments/certificate_list.html", context)


@login_required
@require_GET
def certificate_pdf(request, pk: int):
    certificate = _mine(request).filter(pk=pk).first()
    if certificate is None:
        raise Http404
    content = certificate_pdf_get_or_render(certificate=certificate)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificate_pdf_filename(certificate)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def certificate_verify(request):
    typed = request.GET.get("codice", "")
    code = "".join(typed.split()).upper()
    context: dict = {"typed": typed, "searched": bool(typed)}
    if typed:
        found = TaxCertificate.objects.filter(verification_code=code).first() if CODE_SHAPE.match(code) else None
        context["certificate"] = found
    return render(request, "payments/certificate_verify.html", context)


def _equal_shares(count: int) -> list[str]:
    """Equal percentages with two decimals adding up to 100 (the first takes the rounding): 50/50, 33,34/33,33/…"""
    if count == 0:
        return []
    part = (Decimal(100) / count).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    return [str(Decimal(100) - part * (count - 1)), *[str(part)] * (count - 1)]


@login_required
@require_http_methods(["GET", "POST"])
def expense_split(request, child_id: int):
    """Declare how a child's spending of a year is shared between the adults of the family (percentages)."""
    try:
        child = child_get_for_user(user=signed_in_user(request), pk=child_id)
    except Child.DoesNotExist as error:
        raise Http404 from error
    adults = [g.adult for g in guardians_of_child(child=child)]
    year_text = request.POST.get("anno") or request.GET.get("anno") or str(timezone.localdate().year - 1)
    year = int(year_text) if year_text.isdigit() and 2020 <= int(year_text) <= 2100 else timezone.localdate().year - 1
    existing = ExpenseSplit.objects.filter(child=child, year=year).first()
    declared = {share["fiscal_code"]: share["percent"] for share in (existing.shares if existing else [])}
    defaults = _equal_shares(len(adults))
    values = {
        adult.codice_fiscale: request.POST.get(
            f"quota_{adult.codice_fiscale}", declared.get(adult.codice_fiscale, defaults[index])
        )
        for index, adult in enumerate(adults)
    }
    problem = ""
    if request.method == "POST":
        try:
            shares = [(cf, Decimal(str(text).replace(",", ".") or "0")) for cf, text in values.items()]
            shares = [(cf, percent) for cf, percent in shares if percent != 0]
            expense_split_declare(user=signed_in_user(request), child=child, year=year, shares=shares)
            certificates_refresh_if_issued(child_id=child.pk, when=datetime.datetime(year, 6, 30, tzinfo=datetime.UTC))
            messages.success(request, _("Ripartizione salvata: le attestazioni dell'anno la seguiranno."))
            return redirect("payments:certificates")
        except InvalidOperation:
            problem = _("Scrivi le percentuali come numeri, ad esempio 50 o 33,33.")
        except DomainError as refused:
            problem = str(refused)
    context = {
        "child": child,
        "year": year,
        "rows": [(adult, str(values[adult.codice_fiscale]).replace(".", ",")) for adult in adults],
        "error": problem,
    }
    return render(request, "payments/expense_split.html", context, status=400 if problem else 200)
