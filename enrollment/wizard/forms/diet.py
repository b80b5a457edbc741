"""The wizard's diet page (canteen): the diet, and for a medical diet its details and certificate."""

from django import forms
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ... import services
from ...errors import CertificateError
from ...models import Enrollment
from .common import StepForm, no_control_characters, radio

CERTIFICATE_EXTENSIONS = (".pdf", ".jpg", ".jpeg")


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
    diet = radio(
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
            if self.private_visible:
                # The file name is the uploader's: format_html escapes it.
                self.fields["certificate"].help_text = format_html(
                    gettext("Hai già caricato «{name}»: carica un altro file solo se vuoi sostituirlo."),
                    name=self.stored_certificate,
                )
            else:  # an adult who may not see the health data: neither the file's name nor its content
                self.fields["certificate"].help_text = gettext(
                    "Il certificato è già stato caricato da un altro adulto: carica un file solo se vuoi sostituirlo."
                )
        if self.details_hidden:
            self.fields["medical_details"].help_text = gettext(
                "Le indicazioni mediche sono già state scritte da un altro adulto e sono visibili solo a lui e "
                "all'adulto di riferimento: lascia il campo vuoto per mantenerle, oppure scrivile di nuovo."
            )

    @property
    def details_hidden(self) -> bool:
        """Medical details are stored that this adult may not see: not shown, and an empty field keeps them."""
        return self.medical is not None and not self.private_visible

    def initial_from(self, enrollment):
        initial = {"diet": enrollment.diet, "diet_note": enrollment.diet_note}
        if enrollment.diet == Enrollment.Diet.MEDICAL and self.medical is not None and self.private_visible:
            initial["medical_details"] = self.medical.details
        return initial

    def clean_medical_details(self) -> str:
        return no_control_characters(self.cleaned_data["medical_details"].strip())

    def clean_diet_note(self) -> str:
        return no_control_characters(self.cleaned_data["diet_note"].strip())

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        diet = data.get("diet")
        if diet == Enrollment.Diet.MEDICAL:
            if "medical_details" in data and not data["medical_details"] and not self.details_hidden:
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

    def medical_details_to_save(self) -> str:
        """What was typed; empty over details this adult may not see keeps the stored ones."""
        typed = self.cleaned_data["medical_details"]
        if not typed and self.details_hidden and self.medical is not None:
            return self.medical.details
        return typed

    @property
    def is_medical(self) -> bool:
        return self.cleaned_data.get("diet") == Enrollment.Diet.MEDICAL

    def data_for_update(self) -> dict:
        diet = self.cleaned_data["diet"]
        note = self.cleaned_data["diet_note"] if diet in ETHICAL_DIETS else ""
        return {"diet": diet, "diet_note": note}
