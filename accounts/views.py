from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods

from enrollment import selectors as enrollment_selectors
from payments import selectors as payment_selectors
from portal.client_ip import client_ip

from . import activation, selectors, services
from .forms import ChildAddForm, ConsentForm, ProfileForm
from .models import Child


@login_required
@require_GET
def family(request):
    """The parent's page after login: their details, consents, and what to do next."""
    user = request.user
    documents = selectors.legal_documents_current()
    children = selectors.child_cards_for_adult(user=user)
    enrollment_cards = enrollment_selectors.enrollment_cards_for_family(user=user)
    balances = payment_selectors.balance_list_for_user(user=user)
    open_notices_count = payment_selectors.notices_open_count_for_user(user=user)
    context = {
        "children": children,
        "enrollment_cards": enrollment_cards,
        # The enrollments' and the balances' HTML is cached under everything it shows (cards name the children).
        "enrollments_key": f"{children!r}|{enrollment_cards!r}",
        "payment_balances": balances,
        "open_notices_count": open_notices_count,
        "balances_key": repr(
            [(b.child_id, b.child.first_name, b.child.last_name, b.service_kind, b.amount) for b in balances]
            + [open_notices_count]
        ),
        # Everything the children's cards show (ages change with the date): the key of their cached HTML.
        "children_key": f"{timezone.localdate()}|{children!r}",
        "imported_family": activation.imported_family_is_pending(user=user),
        # The consent middleware let this request through: the user accepted every current version.
        "accepted_documents": documents.values(),
        "accepted_documents_key": "-".join(str(document.pk) for document in documents.values()),
        "mfa_enabled": selectors.user_has_totp(user=user),
        "profile_complete": bool(user.phone),
    }
    return render(request, "accounts/family.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    user = request.user
    initial = {"first_name": user.first_name, "last_name": user.last_name, "phone": user.phone}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.user_profile_update(user=user, **form.cleaned_data)
        messages.success(request, _("I tuoi dati sono stati aggiornati."))
        return redirect("accounts:family")
    return render(request, "accounts/profile_edit.html", {"form": form})


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
    return render(request, "accounts/consent.html", {"form": form, "documents": pending, "next": next_url})


def _legal_document(request, kind: str):
    document = selectors.legal_document_current(kind=kind)
    if document is None:
        raise Http404
    return render(request, "accounts/legal_document.html", {"document": document})


@require_GET
def terms(request):
    return _legal_document(request, "terms")


@require_GET
def privacy(request):
    return _legal_document(request, "privacy")


MISMATCH_MESSAGES = {
    "last_name": _lazy("Il cognome non corrisponde al codice fiscale."),
    "first_name": _lazy("Il nome non corrisponde al codice fiscale."),
    "birth_date": _lazy("La data di nascita non corrisponde al codice fiscale."),
    "sex": _lazy("Il sesso non corrisponde al codice fiscale."),
}


@login_required
@require_http_methods(["GET", "POST"])
def child_add(request):
    form = ChildAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            child = services.child_add(adult=request.user, **form.cleaned_data)
        except services.CodiceFiscaleMismatchError as error:
            for field in error.fields:
                form.add_error(field, MISMATCH_MESSAGES[field])
        except services.ChildAlreadyKnownError:
            form.add_error(
                None,
                _(
                    "Questo codice fiscale è già presente nel portale, collegato a un altro adulto. Per motivi di "
                    "riservatezza non possiamo aggiungerlo qui: l'adulto di riferimento del bambino può invitarti "
                    "come delegato, oppure l'ufficio scuola può spostare il riferimento su di te (ad esempio per "
                    "genitori separati). Se hai ricevuto una lettera di attivazione dal Comune, usa il codice "
                    "della lettera."
                ),
            )
        else:
            messages.success(request, _("%(name)s ora fa parte della tua famiglia.") % {"name": child.first_name})
            return redirect("accounts:child_detail", pk=child.pk)
    return render(request, "accounts/child_add.html", {"form": form})


@login_required
@require_GET
def child_detail(request, pk: int):
    try:
        child = selectors.child_get_for_adult(user=request.user, pk=pk)
    except Child.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "accounts/child_detail.html",
        {"child": child, "guardianships": selectors.guardians_of_child(child=child)},
    )
