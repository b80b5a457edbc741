"""The summary page's form: the declarations a parent confirms before sending (and the health data consent when
the draft has a medical diet)."""

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ...models import Enrollment


class DeclarationsForm(forms.Form):
    truthful = forms.BooleanField(
        label=_(
            "Dichiaro che i dati inseriti sono veri. So che chi dichiara il falso è punito dalla legge e perde i "
            "benefici ottenuti (articoli 75 e 76 del DPR 445/2000)."
        ),
        error_messages={"required": _("Per inviare la domanda devi confermare che i dati sono veri.")},
    )
    privacy = forms.BooleanField(
        error_messages={"required": _("Per inviare la domanda devi dichiarare di aver letto l'informativa.")},
    )
    health_consent = forms.BooleanField(
        label=_(
            "Acconsento al trattamento dei dati sulla salute del bambino (dieta per motivi di salute e certificato "
            "medico): li vedranno solo l'ufficio scuola e la cucina, per preparare i pasti in sicurezza."
        ),
        error_messages={
            "required": _("Senza il consenso ai dati sulla salute non possiamo preparare la dieta medica.")
        },
    )

    def __init__(self, *args: Any, enrollment: Enrollment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["privacy"].label = gettext(
            "Ho letto l'informativa sul trattamento dei dati personali per il servizio «%(service)s»."
        ) % {"service": enrollment.service.name}
        self.fields["privacy"].help_text = format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("accounts:privacy"),
            gettext("Leggi l'informativa (si apre in una nuova finestra)"),
        )
        if enrollment.diet != Enrollment.Diet.MEDICAL:
            del self.fields["health_consent"]
