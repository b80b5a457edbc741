"""The activation page: a parent enters the code of the Comune's letter and finds their children."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from . import activation


class ActivationCodeForm(forms.Form):
    code = forms.CharField(
        label=_lazy("Codice di attivazione"),
        max_length=40,
        help_text=_lazy(
            "I 12 caratteri stampati nella lettera, ad esempio ABCD-EFGH-JKMN. Puoi scriverli in minuscolo, "
            "con o senza spazi e trattini."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        normalized = activation.activation_code_normalize(code=code)
        if len(normalized) != activation.CODE_LENGTH:
            raise ValidationError(
                _lazy("Il codice ha 12 caratteri, ne hai inseriti %(count)s: controlla di averlo copiato tutto."),
                code="length",
                params={"count": len(normalized)},
            )
        if not activation.activation_code_is_well_formed(code=normalized):
            raise ValidationError(
                _lazy(
                    "Il codice contiene solo lettere e le cifre da 2 a 9: non ci sono 0, 1, I, L e O. "
                    "Controlla i caratteri che si somigliano."
                ),
                code="alphabet",
            )
        return normalized


def claim_announce(request, claimed: activation.ClaimedChildren) -> None:
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
    imported_family = activation.imported_family_pending(user=request.user)
    form = ActivationCodeForm(request.POST or None)
    if request.method == "POST" and imported_family is not None and form.is_valid():
        try:
            claimed = activation.imported_family_claim(user=request.user, code=form.cleaned_data["code"])
        except activation.ActivationAlreadyClaimedError as error:
            messages.info(request, str(error))
            return redirect("accounts:family")
        except activation.ActivationCodeError as error:
            form.add_error("code", str(error))
        else:
            claim_announce(request, claimed)
            if not claimed and not claimed.skipped:
                messages.info(request, _("Il codice è stato accettato, ma la lettera non indicava nessun figlio."))
            return redirect("accounts:family")
    return render(request, "accounts/activation_form.html", {"form": form, "imported_family": imported_family})
