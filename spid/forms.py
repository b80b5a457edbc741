"""The one question a new SPID/CIE account may need: an e-mail address (CIE sends none; a SPID address may already
belong to another account)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.validators import validate_email_length


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Il tuo indirizzo e-mail"),
        help_text=_("Lo usiamo per avvisi di pagamento e ricevute: ti mandiamo un link per confermarlo."),
        max_length=None,
        validators=[validate_email_length],
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("Questo indirizzo è già usato da un altro account del portale: indicane un altro."),
                code="email_taken",
            )
        return email
