"""Parents' certificates ("Pagamenti → Attestazioni": only those made out to them; any other is a 404) and the public
verification page (a code proves a certificate exists: year, totals, issue date, status, nothing else)."""

import re

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .certificate_pdf import certificate_pdf_filename, certificate_pdf_get_or_render
from .models import TaxCertificate

CODE_SHAPE = re.compile(r"^[A-Z0-9]{12}$")


def _mine(request):
    return TaxCertificate.objects.filter(holder_fiscal_code=request.user.codice_fiscale).select_related("child")


@login_required
@require_GET
def certificates(request):
    rows = _mine(request).order_by("-year", "child__first_name", "-issued_at")
    return render(request, "payments/certificate_list.html", {"certificates": rows})


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
