"""The family's own pages: profile, consents, legal documents, adding a child and a child's page.

The family dashboard (accounts:family) reads other apps: it is portal.site's (see portal/site/urls.py).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from portal.client_ip import client_ip
from portal.errors import form_error_add
from portal.retention import retention_periods

from .. import errors, selectors, services
from ..forms import ChildAddForm, ConsentForm, ProfileForm
from ..models import Child


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    user = request.user
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "postal_address": user.postal_address,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.user_profile_update(user=user, **form.cleaned_data)
        messages.success(request, _("I tuoi dati sono stati aggiornati."))
        return redirect("accounts:family")
    return render(request, "accounts/profile_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def consent(request):
    """Accept the versions of the terms and privacy notice published since the last visit."""
    pending = selectors.consent_pending_for_user(user=request.user)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if not pending:
        return redirect(next_url or "accounts:family")
    form = ConsentForm(request.POST or None, documents=pending)
    if request.method == "POST" and form.is_valid():
        services.consent_accept(user=request.user, documents=pending, ip_address=client_ip(request))
        messages.success(request, _("Grazie: le tue scelte sono state registrate."))
        return redirect(next_url or "accounts:family")
    return render(request, "accounts/consent_form.html", {"form": form, "documents": pending, "next": next_url})


def _legal_document(request, kind: str):
    document = selectors.legal_document_current(kind=kind)
    if document is None:
        raise Http404
    # The privacy notice states the retention periods the office set (the same the nightly purge applies).
    periods = retention_periods() if kind == "privacy" else []
    return render(request, "accounts/legal_document_detail.html", {"document": document, "retention_periods": periods})


@require_GET
def terms(request):
    return _legal_document(request, "terms")


@require_GET
def privacy(request):
    return _legal_document(request, "privacy")


@login_required
@require_http_methods(["GET", "POST"])
def child_add(request):
    form = ChildAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.needs_confirmation:  # show what the CF says before adding
            return render(request, "accounts/child_form.html", {"form": form, "birth": form.cleaned_data["birth"]})
        try:
            child = services.child_add(adult=request.user, **form.child_data())
        except errors.CodiceFiscaleMismatchError as error:
            for field in error.fields:  # the form checked the names; birth date and sex come from the CF itself
                target = field if field in form.NAME_MISMATCH else "codice_fiscale"
                form.add_error(target, form.NAME_MISMATCH.get(field) or _("Controlla il codice fiscale."))
        except errors.ChildAlreadyKnownError as error:
            form_error_add(form, error)
        else:
            messages.success(request, _("%(name)s ora fa parte della tua famiglia.") % {"name": child.first_name})
            return redirect("accounts:child_detail", pk=child.pk)
    return render(request, "accounts/child_form.html", {"form": form})


@login_required
@require_GET
def child_detail(request, pk: int):
    try:
        child = selectors.child_get_for_user(user=request.user, pk=pk)
    except Child.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "accounts/child_detail.html",
        {"child": child, "guardianships": selectors.guardians_of_child(child=child)},
    )
