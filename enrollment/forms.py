"""The parent's enrollment wizard: one form per page, validation of what was typed only.

Each step form knows the draft it edits (`enrollment=`): its choices come from the selectors (only the schools
the service serves, only the classes of the chosen school, only the stops of the chosen route), its initial
values from the draft, and `data_for_update()` gives the dict `enrollment_draft_update` takes. The rules
(windows, duplicates, tariffs, capacity) stay in the services; a form only says "this is not what we asked".
"""

import datetime

from django import forms
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import selectors, services
from .errors import CertificateError
from .models import Enrollment
from .validators import parse_isee, validate_dsu_protocol

CERTIFICATE_EXTENSIONS = (".pdf", ".jpg", ".jpeg")
PICKUP_MAX_LINES = 10
PICKUP_LINE_MAX = 150
YES, NO = "si", "no"


def _radio(choices, label, **kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect, **kwargs)


def _no_control_characters(value: str) -> str:
    """Refuse NUL and other control characters (PostgreSQL refuses NUL; the rest is never typed)."""
    if any(ord(char) < 32 and char not in "\r\n\t" for char in value):
        raise ValidationError(_("Il testo contiene caratteri non ammessi."), code="control_characters")
    return value


class StepForm(forms.Form):
    """A wizard page's form: built on the draft it edits."""

    def __init__(self, *args, enrollment: Enrollment, **kwargs) -> None:
        self.enrollment = enrollment
        kwargs.setdefault("initial", self.initial_from(enrollment))
        super().__init__(*args, **kwargs)

    def initial_from(self, enrollment: Enrollment) -> dict:
        return {}

    def data_for_update(self) -> dict:
        return dict(self.cleaned_data)


# --- start: child and services ---------------------------------------------------------------------------------


class ServiceChoiceForm(forms.Form):
    """The services to start for one child: only options open now, without an enrollment already."""

    windows = forms.TypedMultipleChoiceField(
        label=_("Servizi"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Scegli almeno un servizio."),
            "invalid_choice": _("Uno dei servizi scelti non è più disponibile: ricarica la pagina e riprova."),
        },
    )

    def __init__(self, *args, options, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.options = {option.window.pk: option for option in options}
        self.fields["windows"].choices = [
            (option.window.pk, f"{option.service.name} {option.school_year.name}")
            for option in options
            if option.is_open and option.enrollment is None
        ]

    def chosen_options(self) -> list:
        return [self.options[pk] for pk in self.cleaned_data["windows"]]


# --- school, class, residency ----------------------------------------------------------------------------------


class SchoolChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} · {obj.address}" if obj.address else obj.name


class SchoolForm(StepForm):
    school = SchoolChoiceField(
        label=_("Scuola"),
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Scegli la scuola."),
            "invalid_choice": _("Il servizio non è attivo nella scuola indicata: scegli una delle scuole elencate."),
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = selectors.schools_for_service(service=self.enrollment.service_id)

    def initial_from(self, enrollment):
        return {"school": enrollment.school_id}

    def data_for_update(self) -> dict:
        school = self.cleaned_data["school"]
        data = {"school": school}
        if school.pk != self.enrollment.school_id:
            data["school_class"] = None  # the class of another school no longer applies
        return data


class ClassForm(StepForm):
    school_class = forms.ModelChoiceField(
        label=_("Classe o sezione"),
        queryset=None,
        empty_label="—",
        error_messages={
            "required": _("Scegli la classe o la sezione."),
            "invalid_choice": _("Questa classe non è della scuola scelta: scegli una delle classi elencate."),
        },
        help_text=_("Quella che il bambino frequenterà nell'anno scolastico dell'iscrizione."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = selectors.classes_for_school(school=self.enrollment.school_id)

    def initial_from(self, enrollment):
        return {"school_class": enrollment.school_class_id}


class ResidencyForm(StepForm):
    resident = _radio(
        [
            (YES, _("Sì, il bambino è residente nel Comune")),
            (NO, _("No, non è residente: si applica la tariffa per i non residenti")),
        ],
        _("Il bambino è residente nel Comune?"),
        error_messages={"required": _("Rispondi sì o no."), "invalid_choice": _("Rispondi sì o no.")},
    )

    def initial_from(self, enrollment):
        return {"resident": {True: YES, False: NO}.get(enrollment.resident)}

    def data_for_update(self) -> dict:
        return {"resident": self.cleaned_data["resident"] == YES}


# --- ISEE ------------------------------------------------------------------------------------------------------


class IseeForm(StepForm):
    presented = _radio(
        [
            (YES, _("Presento l'ISEE")),
            (NO, _("Non presento l'ISEE: si applica la tariffa più alta")),
        ],
        _("Vuoi presentare l'ISEE?"),
        error_messages={
            "required": _("Scegli se presenti l'ISEE."),
            "invalid_choice": _("Scegli una delle due risposte."),
        },
    )
    amount = forms.CharField(
        label=_("Valore ISEE in euro"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("Come è scritto sull'attestazione, ad esempio 12.345,67."),
    )
    protocol = forms.CharField(
        label=_("Numero di protocollo della DSU"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
        help_text=_("In alto a destra sull'attestazione ISEE, ad esempio INPS-ISEE-2026-12345678A-00."),
    )
    expires_on = forms.DateField(
        label=_("Data di scadenza dell'ISEE"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Di solito il 31 dicembre dell'anno in cui hai presentato la DSU."),
        error_messages={"invalid": _("Scrivi la data come gg/mm/aaaa.")},
    )

    field_order = ["presented", "amount", "protocol", "expires_on"]

    def initial_from(self, enrollment):
        if enrollment.isee_presented is None:
            return {}
        if not enrollment.isee_presented:
            return {"presented": NO}
        amount = enrollment.isee_amount
        return {
            "presented": YES,
            "amount": "" if amount is None else f"{amount:.2f}".replace(".", ","),
            "protocol": enrollment.isee_protocol,
            "expires_on": enrollment.isee_expires_on,
        }

    def clean_amount(self) -> str:
        return _no_control_characters(self.cleaned_data["amount"].strip())

    def clean_protocol(self) -> str:
        return _no_control_characters(self.cleaned_data["protocol"].strip())

    def clean(self) -> dict:
        data = super().clean()
        if data.get("presented") != YES:
            return data
        if "amount" in data:
            if not data["amount"]:
                self.add_error("amount", _("Scrivi il valore ISEE."))
            else:
                try:
                    data["isee_amount"] = parse_isee(data["amount"])
                except ValidationError as error:
                    self.add_error("amount", error)
        if "protocol" in data:
            try:
                data["protocol"] = validate_dsu_protocol(data["protocol"])
            except ValidationError as error:
                self.add_error("protocol", error)
        if "expires_on" in data:
            expires_on = data["expires_on"]
            today = timezone.localdate()
            if expires_on is None:
                self.add_error("expires_on", _("Scrivi la data di scadenza dell'ISEE."))
            elif expires_on.year < 2015:
                self.add_error("expires_on", _("Controlla la data: l'ISEE attuale esiste dal 2015."))
            elif expires_on > today + datetime.timedelta(days=2 * 366):
                self.add_error("expires_on", _("Controlla la data: un ISEE non vale più di un anno."))
        return data

    @property
    def is_expired(self) -> bool:
        expires_on = self.cleaned_data.get("expires_on")
        return (
            self.cleaned_data.get("presented") == YES and expires_on is not None and expires_on < timezone.localdate()
        )

    def data_for_update(self) -> dict:
        if self.cleaned_data["presented"] == NO:
            return {"isee_presented": False, "isee_amount": None, "isee_protocol": "", "isee_expires_on": None}
        return {
            "isee_presented": True,
            "isee_amount": self.cleaned_data["isee_amount"],
            "isee_protocol": self.cleaned_data["protocol"],
            "isee_expires_on": self.cleaned_data["expires_on"],
        }


def isee_expired_warning(expires_on: datetime.date) -> str:
    return gettext(
        "L'ISEE è scaduto il %(date)s: la tariffa sarà calcolata come senza ISEE (la più alta), a meno che "
        "l'ufficio scuola non lo accetti. Se hai un ISEE più recente, inserisci quello."
    ) % {"date": date_format(expires_on, "d/m/Y")}


# --- diet (canteen) --------------------------------------------------------------------------------------------

DIET_LABELS = [
    (Enrollment.Diet.NONE, _("Nessuna dieta speciale")),
    (Enrollment.Diet.MEDICAL, _("Dieta per motivi di salute: allergie, intolleranze, malattie")),
    (Enrollment.Diet.NO_PORK, _("Senza maiale")),
    (Enrollment.Diet.NO_MEAT, _("Senza carne")),
    (Enrollment.Diet.VEGETARIAN, _("Vegetariana")),
    (Enrollment.Diet.OTHER, _("Altra dieta etica o religiosa")),
]
ETHICAL_DIETS = (Enrollment.Diet.NO_PORK, Enrollment.Diet.NO_MEAT, Enrollment.Diet.VEGETARIAN, Enrollment.Diet.OTHER)


def certificate_check(upload) -> None:
    """PDF or JPEG (by content, as the service checks, and by name), at most 5 MB: ValidationError otherwise."""
    if upload.size > services.CERTIFICATE_MAX_BYTES:
        size = f"{upload.size / (1024 * 1024):.1f}".replace(".", ",")
        raise ValidationError(
            _(
                "Il file pesa %(size)s MB: il massimo è 5 MB. Puoi fotografare o scansionare il certificato con una "
                "risoluzione più bassa."
            )
            % {"size": size},
            code="too_large",
        )
    wrong_kind = ValidationError(_("Il certificato deve essere un file PDF o un'immagine JPEG."), code="file_type")
    if not (upload.name or "").lower().endswith(CERTIFICATE_EXTENSIONS):
        raise wrong_kind
    try:
        services.certificate_check(upload)
    except CertificateError:
        raise wrong_kind from None


def medical_diet_of(enrollment: Enrollment):
    """The draft's own medical diet (the parent who wrote it edits it), or None."""
    try:
        return enrollment.medical_diet
    except ObjectDoesNotExist:
        return None


class DietForm(StepForm):
    diet = _radio(
        DIET_LABELS,
        _("Il bambino ha bisogno di una dieta speciale?"),
        error_messages={
            "required": _("Scegli una risposta."),
            "invalid_choice": _("Scegli una delle diete elencate."),
        },
    )
    medical_details = forms.CharField(
        label=_("Indicazioni mediche"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Allergie, intolleranze o malattie e gli alimenti da evitare, come scritto dal medico."),
    )
    certificate = forms.FileField(
        label=_("Certificato medico (PDF o JPEG, al massimo 5 MB)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,.pdf,.jpg,.jpeg"}),
        help_text=_("Il certificato del medico o del pediatra con la dieta da seguire."),
    )
    diet_note = forms.CharField(
        label=_("Precisazioni sulla dieta etica o religiosa"),
        required=False,
        max_length=200,
        help_text=_("Obbligatorie se hai scelto «altra dieta»: ad esempio «senza carne bovina»."),
    )

    def __init__(self, *args, enrollment: Enrollment, **kwargs) -> None:
        self.medical = medical_diet_of(enrollment)
        super().__init__(*args, enrollment=enrollment, **kwargs)
        self.stored_certificate = ""
        if self.medical is not None and self.medical.certificate:
            self.stored_certificate = self.medical.certificate_name or gettext("certificato")
            self.fields["certificate"].help_text = _(
                "Hai già caricato «%(name)s»: carica un altro file solo se vuoi sostituirlo."
            ) % {"name": self.stored_certificate}

    def initial_from(self, enrollment):
        initial = {"diet": enrollment.diet, "diet_note": enrollment.diet_note}
        if enrollment.diet == Enrollment.Diet.MEDICAL and self.medical is not None:
            initial["medical_details"] = self.medical.details
        return initial

    def clean_medical_details(self) -> str:
        return _no_control_characters(self.cleaned_data["medical_details"].strip())

    def clean_diet_note(self) -> str:
        return _no_control_characters(self.cleaned_data["diet_note"].strip())

    def clean(self) -> dict:
        data = super().clean()
        diet = data.get("diet")
        if diet == Enrollment.Diet.MEDICAL:
            if "medical_details" in data and not data["medical_details"]:
                self.add_error("medical_details", _("Scrivi le indicazioni mediche."))
            upload = data.get("certificate")
            if upload:
                try:
                    certificate_check(upload)
                except ValidationError as error:
                    self.add_error("certificate", error)
            elif not self.stored_certificate and "certificate" not in self.errors:
                self.add_error("certificate", _("Carica il certificato medico."))
        elif diet == Enrollment.Diet.OTHER and "diet_note" in data and not data["diet_note"]:
            self.add_error("diet_note", _("Spiega quale dieta serve."))
        return data

    @property
    def is_medical(self) -> bool:
        return self.cleaned_data.get("diet") == Enrollment.Diet.MEDICAL

    def data_for_update(self) -> dict:
        diet = self.cleaned_data["diet"]
        note = self.cleaned_data["diet_note"] if diet in ETHICAL_DIETS else ""
        return {"diet": diet, "diet_note": note}


# --- transport -------------------------------------------------------------------------------------------------


class RouteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        taken, capacity = selectors.route_seats(route=obj)
        free = max(capacity - taken, 0)
        if free == 0:
            return gettext("%(name)s — posti esauriti: la domanda andrà in lista d'attesa") % {"name": obj.name}
        return gettext("%(name)s — %(free)s posti liberi su %(capacity)s") % {
            "name": obj.name,
            "free": free,
            "capacity": capacity,
        }


class RouteForm(StepForm):
    route = RouteChoiceField(
        label=_("Linea"),
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Scegli la linea."),
            "invalid_choice": _("Questa linea non serve la scuola scelta: scegli una delle linee elencate."),
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["route"].queryset = selectors.routes_for_enrollment(enrollment=self.enrollment)

    def initial_from(self, enrollment):
        return {"route": enrollment.route_id}

    def data_for_update(self) -> dict:
        route = self.cleaned_data["route"]
        data = {"route": route}
        if route.pk != self.enrollment.route_id:
            data["stop"] = None  # a stop belongs to one route
        return data


class StopChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        times = []
        if obj.outbound_time:
            times.append(gettext("andata %(time)s") % {"time": obj.outbound_time.strftime("%H:%M")})
        if obj.return_time:
            times.append(gettext("ritorno %(time)s") % {"time": obj.return_time.strftime("%H:%M")})
        name = f"{obj.name}, {obj.address}" if obj.address else obj.name
        return f"{name} ({', '.join(times)})" if times else name


class StopForm(StepForm):
    stop = StopChoiceField(
        label=_("Fermata"),
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": _("Scegli la fermata.")},
    )
    direction = _radio(
        [
            (Enrollment.Direction.BOTH, _("Andata e ritorno")),
            (Enrollment.Direction.OUTBOUND, _("Solo andata, da casa a scuola")),
            (Enrollment.Direction.RETURN, _("Solo ritorno, da scuola a casa")),
        ],
        _("Percorso"),
        error_messages={
            "required": _("Scegli il percorso."),
            "invalid_choice": _("Scegli uno dei percorsi elencati."),
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        route = self.enrollment.route
        field = self.fields["stop"]
        field.queryset = selectors.stops_for_route(route=self.enrollment.route_id)
        field.error_messages["invalid_choice"] = _(
            "La fermata scelta non è sulla linea «%(route)s»: scegli una delle fermate elencate."
        ) % {"route": route.name if route else ""}

    def initial_from(self, enrollment):
        return {"stop": enrollment.stop_id, "direction": enrollment.direction or None}


class PickupForm(StepForm):
    pickup_adults = forms.CharField(
        label=_("Adulti autorizzati a ritirare il bambino alla fermata"),
        required=False,
        max_length=PICKUP_MAX_LINES * (PICKUP_LINE_MAX + 2),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Uno per riga: nome, cognome e documento d'identità. Ad esempio: Anna Verdi, C.I. CA12345AB."),
    )

    def initial_from(self, enrollment):
        return {"pickup_adults": enrollment.pickup_adults}

    def clean_pickup_adults(self) -> str:
        text = _no_control_characters(self.cleaned_data["pickup_adults"])
        lines = [" ".join(line.split()) for line in text.splitlines()]
        lines = [line for line in lines if line]
        if len(lines) > PICKUP_MAX_LINES:
            raise ValidationError(
                _("Al massimo %(n)s adulti, uno per riga.") % {"n": PICKUP_MAX_LINES}, code="too_many"
            )
        if any(len(line) > PICKUP_LINE_MAX for line in lines):
            raise ValidationError(_("Una riga è troppo lunga: scrivi un adulto per riga."), code="line_too_long")
        if not lines and self.enrollment.direction != Enrollment.Direction.OUTBOUND:
            raise ValidationError(
                _("Scrivi almeno un adulto: al ritorno il bambino viene consegnato solo a chi è indicato qui."),
                code="required",
            )
        return "\n".join(lines)


# --- declarations and submission -------------------------------------------------------------------------------


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

    def __init__(self, *args, enrollment: Enrollment, **kwargs) -> None:
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
