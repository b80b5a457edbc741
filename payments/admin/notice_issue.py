"""The office's "Emetti un avviso" page: a one-off notice (a late fee, a lost card, a correction) for a child and a
service, to one of the child's adults, in one payment or in rate. The form reads what the clerk typed (codici
fiscali, "12,50", dd/mm/yyyy); the service (`notice_issue_oneoff`) decides and issues."""

import datetime
import re
from typing import cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Child, User
from enrollment.models import ServiceKind
from portal.errors import DomainError

from .. import services
from ..errors import AmountError
from ..models import PaymentNotice
from ..services.validation import CAUSALE_MAX, MAX_INSTALMENTS, amount_check, causale_check, euro_text

ISSUE_PERMISSION = "payments.add_paymentnotice"
DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
_CF = re.compile(r"^[A-Z0-9]{11,16}$")


def _cf(value: str) -> str:
    return "".join((value or "").split()).upper()


def _date(text: str) -> datetime.date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    return None


class NoticeIssueForm(forms.Form):
    child_cf = forms.CharField(
        label=_("Codice fiscale del bambino"),
        max_length=20,
        error_messages={"required": _("Indica il codice fiscale del bambino.")},
    )
    payer_cf = forms.CharField(
        label=_("Codice fiscale del pagatore"),
        max_length=20,
        required=False,
        help_text=_("Lascia vuoto per intestarlo all'adulto di riferimento del bambino; altrimenti un suo delegato."),
    )
    service_kind = forms.ChoiceField(
        label=_("Servizio"),
        choices=ServiceKind.choices,
        error_messages={"required": _("Scegli il servizio."), "invalid_choice": _("Scegli il servizio.")},
    )
    amount = forms.CharField(
        label=_("Importo (€)"),
        max_length=20,
        help_text=_("Con la virgola per i centesimi, ad esempio 12,50. Al massimo %(max)s.")
        % {"max": euro_text(services.OFFICE_NOTICE_MAX)},
        error_messages={"required": _("Inserisci un importo.")},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "12,50"}),
    )
    causale = forms.CharField(
        label=_("Causale"),
        required=False,
        help_text=_(
            "Stampata sull'avviso: servizio, periodo e bambino (al massimo %(max)d caratteri). "
            "Mai dati sanitari o ISEE."
        )
        % {"max": CAUSALE_MAX},
        widget=forms.TextInput(attrs={"size": 80, "maxlength": CAUSALE_MAX}),
    )
    due_date = forms.CharField(
        label=_("Scadenza"),
        max_length=10,
        help_text=_("gg/mm/aaaa, non nel passato."),
        error_messages={"required": _("Indica la scadenza.")},
        widget=forms.TextInput(attrs={"placeholder": "gg/mm/aaaa", "size": 12}),
    )
    instalments = forms.IntegerField(
        label=_("Numero di rate"),
        initial=1,
        help_text=_("1 = unica soluzione; fino a %(max)d rate di pari importo.") % {"max": MAX_INSTALMENTS},
        error_messages={"required": _("Indica il numero di rate."), "invalid": _("Scrivi un numero da 1 a 12.")},
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_INSTALMENTS, "style": "width: 5em"}),
    )
    instalment_dates = forms.CharField(
        label=_("Scadenze delle rate"),
        required=False,
        help_text=_(
            "Solo con più rate: una data per rata (gg/mm/aaaa), separate da spazi o a capo. "
            "Vuoto: una al mese a partire dalla scadenza."
        ),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
    )

    def clean_child_cf(self) -> Child:
        code = _cf(self.cleaned_data["child_cf"])
        child = Child.objects.filter(codice_fiscale=code).first() if _CF.match(code) else None
        if child is None:
            raise forms.ValidationError(gettext("Nessun bambino con questo codice fiscale."))
        return child

    def clean_payer_cf(self) -> User | None:
        code = _cf(self.cleaned_data["payer_cf"])
        if not code:
            return None
        payer = User.objects.filter(codice_fiscale=code).first() if _CF.match(code) else None
        if payer is None:
            raise forms.ValidationError(gettext("Nessun adulto registrato con questo codice fiscale."))
        return payer

    def clean_amount(self):
        try:
            return amount_check(self.cleaned_data["amount"], maximum=services.OFFICE_NOTICE_MAX)
        except AmountError as error:
            raise forms.ValidationError(str(error)) from error

    def clean_due_date(self) -> datetime.date:
        day = _date(self.cleaned_data["due_date"].strip())
        if day is None:
            raise forms.ValidationError(gettext("Scrivi la data come gg/mm/aaaa, ad esempio 31/01/2027."))
        if day < timezone.localdate():
            raise forms.ValidationError(gettext("La scadenza non può essere nel passato."))
        return day

    def clean_instalments(self) -> int:
        count = self.cleaned_data["instalments"]
        if not 1 <= count <= MAX_INSTALMENTS:
            raise forms.ValidationError(gettext("Scrivi un numero da 1 a %(max)d.") % {"max": MAX_INSTALMENTS})
        return count

    def clean_instalment_dates(self) -> list[datetime.date]:
        days = []
        for text in re.split(r"[\s,;]+", self.cleaned_data["instalment_dates"].strip()):
            if not text:
                continue
            day = _date(text)
            if day is None:
                raise forms.ValidationError(
                    gettext("«%(text)s» non è una data: scrivila come gg/mm/aaaa.") % {"text": text}
                )
            days.append(day)
        return days

    def clean(self) -> dict:
        data = super().clean() or {}
        child, payer = data.get("child_cf"), data.get("payer_cf")
        if "causale" in data:
            names = []
            for person in (child, payer):
                if person is not None:
                    names += [person.first_name, person.last_name]
            try:
                data["causale"] = causale_check(data["causale"], names=tuple(name for name in names if name))
            except DomainError as error:
                self.add_error("causale", str(error))
        if data.get("instalments") == 1 and data.get("instalment_dates"):
            self.add_error("instalment_dates", gettext("Le scadenze delle rate servono solo con più di una rata."))
        return data


def notice_issue_view(model_admin, request: HttpRequest) -> HttpResponse:
    """GET: the empty form (the child's codice fiscale prefilled from ?bambino=); POST: issue, or errors here."""
    if not request.user.has_perm(ISSUE_PERMISSION):
        raise PermissionDenied
    if request.method == "POST":
        form = NoticeIssueForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                notice = services.notice_issue_oneoff(
                    child=data["child_cf"],
                    payer=data["payer_cf"],
                    service_kind=data["service_kind"],
                    amount=data["amount"],
                    causale=data["causale"],
                    due_date=data["due_date"],
                    instalments=data["instalments"],
                    instalment_dates=data["instalment_dates"] or None,
                    actor=cast(User, request.user),
                )
            except services.PayerError as error:
                form.add_error("payer_cf", str(error))
            except AmountError as error:
                form.add_error("amount", str(error))
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                model_admin.message_user(
                    request,
                    gettext(
                        "Avviso emesso: «%(causale)s», %(amount)s, intestato a %(payer)s. "
                        "Il pagatore riceve un'e-mail con l'avviso in PDF."
                    )
                    % {"causale": notice.causale, "amount": euro_text(notice.amount), "payer": notice.payer_name},
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:payments_paymentnotice_change", args=[notice.pk]))
    else:
        form = NoticeIssueForm(initial={"child_cf": request.GET.get("bambino", "")[:20], "instalments": 1})
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Emetti un avviso"),
        "opts": PaymentNotice._meta,
        "form": form,
    }
    return TemplateResponse(request, "admin/payments/paymentnotice/issue.html", context)
