"""Input of the fake's pages: checkout payment, pay-at-a-shop lookup and payment, behaviour control."""

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from payments.pagopa import (
    CREDITOR_FISCAL_CODE_PATTERN,
    NoticeNumberError,
    notice_number_is_valid,
    notice_number_normalise,
    qr_parse,
)
from portal.money import from_cents

from .psps import TEST_CARDS, Psp, card_normalise, psp_get, psps_for


def _psp_label(psp: Psp) -> str:
    fee = number_format(from_cents(psp.fee_cents), 2, use_l10n=True, force_grouping=True)
    return _("%(name)s — commissione %(fee)s €") % {"name": psp.name, "fee": fee}


class PspChoiceForm(forms.Form):
    psp = forms.ChoiceField(label=_("Scegli chi gestisce il pagamento"), widget=forms.RadioSelect)

    def __init__(self, *args, method: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.method = method
        cast(forms.ChoiceField, self.fields["psp"]).choices = [(psp.id, _psp_label(psp)) for psp in psps_for(method)]

    def clean_psp(self) -> Psp:
        psp = psp_get(self.cleaned_data["psp"], self.method)
        if psp is None:  # pragma: no cover - ChoiceField already refuses unknown values
            raise forms.ValidationError(_("Scegli un gestore dall'elenco."))
        return psp


class CheckoutPayForm(PspChoiceForm):
    card_number = forms.CharField(
        label=_("Numero della carta"),
        max_length=23,
        required=False,
        help_text=_(
            "Carte di prova: 4242 4242 4242 4242 (pagamento riuscito), 4000 0000 0000 0002 (rifiutata), "
            "4000 0000 0000 0119 (nessuna risposta: esito in attesa)."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    def clean_card_number(self) -> str:
        if self.method != "card":
            return ""
        number = card_normalise(self.cleaned_data.get("card_number", ""))
        if not number:
            raise forms.ValidationError(_("Inserisci il numero della carta."))
        if not number.isdigit() or len(number) != 16:
            raise forms.ValidationError(_("Il numero della carta ha 16 cifre."))
        if number not in TEST_CARDS:
            raise forms.ValidationError(_("Il simulatore accetta solo le carte di prova indicate qui sotto."))
        return number

    @property
    def card_outcome(self) -> str:
        """ "ok", "declined" or "timeout" (always "ok" without a card)."""
        return TEST_CARDS.get(self.cleaned_data.get("card_number", ""), "ok")


class ShopLookupForm(forms.Form):
    notice_number = forms.CharField(
        label=_("Codice avviso"),
        max_length=40,
        required=False,
        help_text=_("18 cifre, si possono scrivere con gli spazi come sull'avviso."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    creditor_fiscal_code = forms.CharField(
        label=_("Codice fiscale dell'ente creditore"),
        max_length=20,
        required=False,
        help_text=_("11 cifre."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    qr = forms.CharField(
        label=_("Oppure incolla il contenuto del codice QR"),
        max_length=200,
        required=False,
        help_text=_("Ad esempio PAGOPA|002|301000000000012373|01234567890|4550"),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        qr = (data.get("qr") or "").strip()
        if qr:
            try:
                parsed = qr_parse(qr)
            except NoticeNumberError:
                self.add_error("qr", _("Questo non è il contenuto di un codice QR pagoPA."))
                return data
            number, creditor = parsed.notice_number, parsed.creditor_fiscal_code
        else:
            number = notice_number_normalise(data.get("notice_number", ""))
            creditor = (data.get("creditor_fiscal_code") or "").strip()
            if not number:
                self.add_error("notice_number", _("Inserisci il codice avviso o incolla il codice QR."))
            if not creditor:
                self.add_error("creditor_fiscal_code", _("Inserisci il codice fiscale dell'ente."))
            if not (number and creditor):
                return data
        if not number.isdigit() or len(number) != 18 or not number.startswith("3"):
            self.add_error("qr" if qr else "notice_number", _("Il codice avviso ha 18 cifre e inizia con 3."))
        elif not notice_number_is_valid(number):
            self.add_error("qr" if qr else "notice_number", _("Il codice avviso non è corretto: controlla le cifre."))
        if not CREDITOR_FISCAL_CODE_PATTERN.match(creditor):
            self.add_error("qr" if qr else "creditor_fiscal_code", _("Il codice fiscale dell'ente ha 11 cifre."))
        data["nav"], data["creditor"] = number, creditor
        return data


class ShopPayForm(PspChoiceForm):
    nav = forms.CharField(widget=forms.HiddenInput, max_length=18)
    creditor = forms.CharField(widget=forms.HiddenInput, max_length=11)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, method="shop", **kwargs)
        self.fields["psp"].label = _("Dove paghi")


class FdrChangeForm(forms.Form):
    """How a PSP reports one receipt in its reconciliation flow (to exercise the portal's mismatch paths)."""

    ACTIONS = [
        ("drop", _("Togli il pagamento dal flusso")),
        ("amount", _("Riporta un importo diverso")),
        ("twice", _("Elenca il pagamento due volte")),
        ("reset", _("Riporta il pagamento com'è")),
    ]
    receipt_id = forms.CharField(label=_("Identificativo della ricevuta"), max_length=64)
    fdr_action = forms.ChoiceField(label=_("Nel flusso di rendicontazione"), choices=ACTIONS)
    amount = forms.DecimalField(
        label=_("Importo da riportare (euro)"), required=False, min_value=Decimal("0.01"), decimal_places=2
    )

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if cleaned.get("fdr_action") == "amount" and cleaned.get("amount") is None:
            self.add_error("amount", _("Indica l'importo da riportare nel flusso."))
        return cleaned


class BehaviourForm(forms.Form):
    delay_seconds = forms.IntegerField(
        label=_("Ritardo delle ricevute (secondi)"), min_value=0, max_value=86400, initial=0
    )
    send_twice = forms.BooleanField(label=_("Invia ogni ricevuta due volte"), required=False)
    out_of_order = forms.BooleanField(label=_("Invia le ricevute di un carrello in ordine inverso"), required=False)
    fail_first_n = forms.IntegerField(
        label=_("Fai fallire i primi N invii (503), poi riprova"), min_value=0, max_value=100, initial=0
    )
    check_digit_strict = forms.BooleanField(
        label=_("Controlla le cifre di controllo dei codici avviso"), required=False, initial=True
    )
    lose_pushes = forms.BooleanField(
        label=_("Perdi l'invio delle ricevute (il portale le recupera dal servizio ricevute)"), required=False
    )
