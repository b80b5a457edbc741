from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.core import context
from allauth.mfa.totp.forms import ActivateTOTPForm as AllauthActivateTOTPForm
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.client_ip import client_ip

from . import selectors, services
from .models import Child, User
from .validators import (
    codice_fiscale_birth,
    codice_fiscale_mismatches,
    normalize_codice_fiscale,
    validate_codice_fiscale,
    validate_email_length,
    validate_person_name,
)

NAME_MAX_LENGTH = 100
_PHONE = RegexValidator(
    r"^\+?[0-9 ]{6,20}$", _("Scrivi il numero con sole cifre, eventualmente preceduto da +39."), code="phone"
)


def name_field(label, autocomplete: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=NAME_MAX_LENGTH,
        validators=[validate_person_name],
        widget=forms.TextInput(attrs={"autocomplete": autocomplete}),
    )


def _document_link(kind: str, text) -> str:
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', reverse(f"accounts:{kind}"), text)


class SignupForm(AllauthSignupForm):
    """Registration: codice fiscale, name, surname, e-mail, password twice, terms and privacy."""

    first_name = name_field(_("Nome"), "given-name")
    last_name = name_field(_("Cognome"), "family-name")
    accept_terms = forms.BooleanField(label=_("Ho letto e accetto le condizioni d'uso del portale"))
    accept_privacy = forms.BooleanField(label=_("Ho letto l'informativa sul trattamento dei dati personali"))

    field_order = [
        "username",
        "first_name",
        "last_name",
        "email",
        "password1",
        "password2",
        "accept_terms",
        "accept_privacy",
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cf = self.fields["username"]
        cf.label = _("Codice fiscale")
        cf.max_length = 30
        cf.min_length = None
        cf.validators = [v for v in cf.validators if not hasattr(v, "limit_value")]
        cf.widget.attrs.update(
            {
                "placeholder": "",
                "autocomplete": "off",
                "maxlength": "30",
                "spellcheck": "false",
                "autocapitalize": "characters",
            }
        )
        cf.help_text = _("Il tuo codice fiscale, 16 caratteri: ti servirà per accedere.")
        self.fields["email"].label = _("E-mail")
        self.fields["email"].widget.attrs["placeholder"] = ""
        self.fields["email"].help_text = _("Ti invieremo un messaggio per verificarla.")
        for name in ("password1", "password2"):
            self.fields[name].widget.attrs.pop("placeholder", None)
        self.fields["password2"].label = _("Ripeti la password")
        self.documents = selectors.legal_documents_current()
        if "terms" in self.documents:
            self.fields["accept_terms"].help_text = _document_link("terms", _("Leggi le condizioni d'uso"))
        if "privacy" in self.documents:
            self.fields["accept_privacy"].help_text = _document_link("privacy", _("Leggi l'informativa privacy"))
        self.cf_owner: User | None = None

    def clean_username(self) -> str:
        cf = super().clean_username()
        owner = get_user_model().objects.filter(codice_fiscale=cf).only("email").first()
        if owner is not None:
            # Same answer as a new registration; the owner is told by e-mail (no account enumeration).
            self.account_already_exists = True
            self.cf_owner = owner
        return cf

    def try_save(self, request):
        if self.cf_owner is not None:
            # clean_email() may have reset the flag when only the CF is taken.
            self.account_already_exists = True
            request.signup_cf_owner_email = self.cf_owner.email
        return super().try_save(request)

    def signup(self, request, user) -> None:
        """allauth calls this inside signup: record the consents given on the form."""
        services.consent_accept(user=user, documents=list(self.documents.values()), ip_address=client_ip(request))


class LoginForm(AllauthLoginForm):
    """Sign in with codice fiscale or e-mail, and password."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = _("Codice fiscale o e-mail")
        login.max_length = 254
        login.widget.attrs.update({"placeholder": "", "autocomplete": "username", "spellcheck": "false"})
        self.fields["password"].widget.attrs.pop("placeholder", None)

    def clean_login(self) -> str:
        value = self.cleaned_data["login"].strip()
        if len(value) > 254:
            raise ValidationError(_("Il testo è troppo lungo."), code="max_length")
        if "\x00" in value:
            raise ValidationError(_("Il testo contiene caratteri non ammessi."), code="control_characters")
        if "@" in value:
            return value
        return normalize_codice_fiscale(value)


class ProfileForm(forms.Form):
    first_name = name_field(_("Nome"), "given-name")
    last_name = name_field(_("Cognome"), "family-name")
    phone = forms.CharField(
        label=_("Telefono (facoltativo)"),
        max_length=20,
        required=False,
        validators=[_PHONE],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("Per essere contattati dall'ufficio scuola in caso di necessità."),
    )
    postal_address = forms.CharField(
        label=_("Indirizzo di residenza (facoltativo)"),
        max_length=140,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
        help_text=_("Via e numero civico, CAP, comune (provincia). Compare sugli avvisi di pagamento stampati."),
    )


class ConsentForm(forms.Form):
    """One checkbox per document version the user has not accepted yet."""

    def __init__(self, *args, documents, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.documents = documents
        for document in documents:
            self.fields[f"accept_{document.pk}"] = forms.BooleanField(
                label=_("Ho letto e accetto: %(title)s (versione %(version)s)")
                % {"title": document.title, "version": document.version},
            )


class ChildAddForm(forms.Form):
    """The codice fiscale, the name and the surname; birth date and sex are read from the CF and only confirmed.

    A valid form whose `confirmed_cf` is not the CF typed asks for the confirmation (`needs_confirmation`): the page
    shows what the CF says, and the same form posted again with `confirmed_cf` set adds the child.
    """

    codice_fiscale = forms.CharField(
        label=_("Codice fiscale del bambino"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
        help_text=_("Lo trovi sulla tessera sanitaria. Data di nascita e sesso li leggiamo dal codice."),
    )
    first_name = name_field(_("Nome"), "off")
    last_name = name_field(_("Cognome"), "off")
    confirmed_cf = forms.CharField(required=False, max_length=30, widget=forms.HiddenInput)

    NAME_MISMATCH = {
        "last_name": _("Il cognome non corrisponde al codice fiscale."),
        "first_name": _("Il nome non corrisponde al codice fiscale."),
    }

    def clean_codice_fiscale(self) -> str:
        return validate_codice_fiscale(self.cleaned_data["codice_fiscale"])

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        cf = cleaned.get("codice_fiscale")
        if not cf:
            return cleaned
        birth = codice_fiscale_birth(cf)
        today = timezone.localdate()
        if birth.birth_date > today or birth.birth_date.year < today.year - 25:
            self.add_error(
                "codice_fiscale",
                ValidationError(
                    _("Secondo questo codice fiscale la persona è nata il %(date)s: non è un bambino. Controllalo."),
                    code="not_a_child",
                    params={"date": birth.birth_date.strftime("%d/%m/%Y")},
                ),
            )
            return cleaned
        names = {"first_name": cleaned.get("first_name", ""), "last_name": cleaned.get("last_name", "")}
        for field in codice_fiscale_mismatches(cf, birth_date=None, sex="", **names):
            self.add_error(field, self.NAME_MISMATCH[field])
        cleaned["birth"] = birth
        return cleaned

    @property
    def needs_confirmation(self) -> bool:
        return normalize_codice_fiscale(self.cleaned_data.get("confirmed_cf") or "") != self.cleaned_data.get(
            "codice_fiscale"
        )

    def child_data(self) -> dict:
        """The service's arguments: what was typed, and what the CF says."""
        birth = self.cleaned_data["birth"]
        return {
            "codice_fiscale": self.cleaned_data["codice_fiscale"],
            "first_name": self.cleaned_data["first_name"],
            "last_name": self.cleaned_data["last_name"],
            "birth_date": birth.birth_date,
            "sex": birth.sex,
        }


class ChildChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Child) -> str:
        return f"{obj.first_name} {obj.last_name}"


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail dell'adulto da invitare"),
        validators=[validate_email_length],
        help_text=_("Gli invieremo il collegamento per accettare l'invito."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    codice_fiscale = forms.CharField(
        label=_("Codice fiscale dell'adulto da invitare"),
        max_length=30,
        help_text=_("Solo chi accede con questo codice fiscale potrà accettare l'invito."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    children = ChildChoiceField(
        label=_("Per quali bambini"),
        queryset=Child.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"required": _("Scegli almeno un bambino.")},
    )

    def __init__(self, *args, children, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        children_field = self.fields["children"]
        if isinstance(children_field, ChildChoiceField):
            children_field.queryset = children

    def clean_codice_fiscale(self) -> str:
        return validate_codice_fiscale(self.cleaned_data["codice_fiscale"])


class ActivationCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Codice di attivazione"),
        max_length=40,
        help_text=_(
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
        normalized = services.activation_code_normalize(code=code)
        if len(normalized) != services.CODE_LENGTH:
            raise ValidationError(
                _("Il codice ha 12 caratteri, ne hai inseriti %(count)s: controlla di averlo copiato tutto."),
                code="length",
                params={"count": len(normalized)},
            )
        if not services.activation_code_is_well_formed(code=normalized):
            raise ValidationError(
                _(
                    "Il codice contiene solo lettere e le cifre da 2 a 9: non ci sono 0, 1, I, L e O. "
                    "Controlla i caratteri che si somigliano."
                ),
                code="alphabet",
            )
        return normalized


class DeletionRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Motivo (facoltativo)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Se vuoi, dicci perché: ci aiuta a migliorare il portale."),
    )
    confirm = forms.BooleanField(
        label=_("Ho capito che, una volta gestita la richiesta, non potrò più accedere al portale"),
        error_messages={"required": _("Conferma di aver capito cosa comporta la cancellazione.")},
    )


class StaffMfaCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Codice ricevuto per e-mail"),
        max_length=20,
        help_text=_("Le 6 cifre del messaggio che ti abbiamo appena inviato."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
    )


class ActivateTOTPForm(AllauthActivateTOTPForm):
    """allauth's TOTP activation; a staff user must first have confirmed the code e-mailed to them.

    accounts.middleware sends staff to that step before this page; this check holds even without it.
    """

    def clean_code(self) -> str:
        user = self.user
        request = context.request
        if user.is_staff and not services.staff_mfa_confirmation_is_valid(request=request, user=user):
            raise ValidationError(
                _(
                    "Prima di attivare l'app di autenticazione conferma il codice che ti inviamo per e-mail: "
                    "apri di nuovo la pagina Sicurezza."
                ),
                code="staff_email_code",
            )
        code = super().clean_code()
        if user.is_staff:
            services.staff_mfa_confirmation_consume(request=request, user=user)
        return code
