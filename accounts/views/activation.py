"""The activation page: a parent enters the code of the Comune's letter and finds their children."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from portal.errors import form_error_add

from .. import errors, selectors, services
from ..forms import ActivationCodeForm


def claim_announce(request, claimed: services.ClaimedChildren) -> None:
    """Tell the parent which children were linked, and which were not (another adult of reference)."""
    if claimed:
        names = get_text_list([child.first_name for child in claimed], _("e"))
        text = ngettext(
            "Fatto: %(names)s ora fa parte della tua famiglia nel portale.",
            "Fatto: %(names)s ora fanno parte della tua famiglia nel portale.",
            len(claimed),
        )
        messages.success(request, text % {"names": names}, fail_silently=True)
    if claimed.skipped:
        names = get_text_list([f"{c.first_name} {c.last_name}" for c in claimed.skipped], _("e"))
        text = _("Per %(names)s risulta già un altro adulto di riferimento: contatta l'ufficio scuola.")
        messages.warning(request, text % {"names": names}, fail_silently=True)


@login_required
@require_http_methods(["GET", "POST"])
def activate(request):
    imported_family = selectors.imported_family_get_for_user(user=request.user)
    form = ActivationCodeForm(request.POST or None)
    if request.method == "POST" and imported_family is not None and form.is_valid():
        try:
            claimed = services.imported_family_claim(user=request.user, code=form.cleaned_data["code"])
        except errors.ActivationAlreadyClaimedError as error:
            messages.info(request, str(error))
            return redirect("accounts:family")
        except errors.ActivationCodeError as error:
            form_error_add(form, error, field="code")
        else:
            claim_announce(request, claimed)
            if not claimed and not claimed.skipped:
                messages.info(request, _("Il codice è stato accettato, ma la lettera non indicava nessun figlio."))
            return redirect("accounts:family")
    return render(request, "accounts/activation_form.html", {"form": form, "imported_family": imported_family})
