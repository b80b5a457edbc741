"""A late applicant, enrolled by the office after the window closed (or on paper): two short pages.

1. The child (by codice fiscale, already in the portal), the service and the school year → a draft, started
   with `staff=True` (no window check; an enrollment already sent is refused).
2. The data the submission needs, in one form → saved step by step on the draft and submitted with
   `staff=True`. A refusal comes back on the same form with what was typed kept; the draft stays a draft.
"""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Child
from accounts.validators import normalize_codice_fiscale
from portal.errors import DomainError, form_error_add

from .. import services
from ..models import HEALTH_PERMISSION, Enrollment, School, SchoolClass, SchoolYear, Service, ServiceKind, Stop
from ..selectors import route_list, school_list
from ..validators import parse_isee
from ..views.common import signed_in_user

YES_NO = [("", "—"), ("1", _("sì")), ("0", _("no"))]
DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


def _yes_no(value: str) -> bool | None:
    return {"1": True, "0": False}.get(value)


class LateStartForm(forms.Form):
    child = forms.CharField(
        label=_("Codice fiscale del bambino"),
        max_length=30,
        help_text=_("Il bambino deve essere già nel portale (aggiunto dalla famiglia o importato)."),
    )
    service = forms.ModelChoiceField(label=_("Servizio"), queryset=Service.objects.all())
    school_year = forms.ModelChoiceField(label=_("Anno scolastico"), queryset=SchoolYear.objects.all())

    def clean_child(self) -> Child:
        code = normalize_codice_fiscale(self.cleaned_data["child"])
        child = Child.objects.filter(codice_fiscale=code).first()
        if child is None:
            raise ValidationError(_("Nessun bambino con questo codice fiscale nel portale."), code="unknown")
        return child


class LateDetailsForm(forms.Form):
    school: forms.ModelChoiceField[School] = forms.ModelChoiceField(label=_("Scuola"), queryset=None)
    school_class: forms.ModelChoiceField[SchoolClass] = forms.ModelChoiceField(
        label=_("Classe"), queryset=None, required=False
    )
    resident = forms.TypedChoiceField(
        label=_("Residente nel Comune"), choices=YES_NO, coerce=_yes_no, empty_value=None
    )
    isee_presented = forms.TypedChoiceField(
        label=_("ISEE presentato"), choices=YES_NO, coerce=_yes_no, empty_value=None
    )
    isee_amount = forms.CharField(label=_("Valore ISEE (€)"), required=False, max_length=20)
    isee_protocol = forms.CharField(label=_("Protocollo DSU"), required=False, max_length=40)
    isee_expires_on = forms.DateField(
        label=_("Scadenza ISEE"), required=False, input_formats=DATE_FORMATS, help_text=_("gg/mm/aaaa")
    )
    declarations = forms.BooleanField(
        label=_("Il genitore ha firmato le dichiarazioni del modulo di iscrizione"),
        error_messages={"required": _("Senza le dichiarazioni firmate l'iscrizione non si può inviare.")},
    )

    def __init__(self, *args, enrollment: Enrollment, may_see_health: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.enrollment = enrollment
        kind = enrollment.service.kind
        schools = school_list(service=enrollment.service)
        cast(forms.ModelChoiceField, self.fields["school"]).queryset = schools
        cast(forms.ModelChoiceField, self.fields["school_class"]).queryset = SchoolClass.objects.filter(
            school__in=schools
        ).select_related("school")
        if kind in (ServiceKind.CANTEEN, ServiceKind.NURSERY):
            diets = [
                (value, label)
                for value, label in Enrollment.Diet.choices
                if may_see_health or value != Enrollment.Diet.MEDICAL
            ]
            self.fields["diet"] = forms.ChoiceField(label=_("Dieta"), choices=diets, required=False)
            self.fields["diet_note"] = forms.CharField(label=_("Dieta: precisazione"), max_length=200, required=False)
            if may_see_health:
                self.fields["details"] = forms.CharField(
                    label=_("Indicazioni mediche (solo per la dieta medica)"),
                    required=False,
                    max_length=4000,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
                self.fields["certificate"] = forms.FileField(
                    label=_("Certificato medico (PDF o JPEG)"), required=False
                )
        if kind == ServiceKind.TRANSPORT:
            routes = route_list(enrollment=enrollment)
            self.fields["route"] = forms.ModelChoiceField(label=_("Linea"), queryset=routes)
            self.fields["stop"] = forms.ModelChoiceField(
                label=_("Fermata"), queryset=Stop.objects.filter(route__in=routes).select_related("route")
            )
            self.fields["direction"] = forms.ChoiceField(
                label=_("Percorso"), choices=[("", "—"), *Enrollment.Direction.choices]
            )
        if kind in (ServiceKind.TRANSPORT, ServiceKind.NURSERY):
            self.fields["pickup_adults"] = forms.CharField(
                label=_("Adulti autorizzati al ritiro"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("Nome, cognome e documento, uno per riga."),
            )

    def clean_isee_amount(self) -> Decimal | None:
        """The ISEE as typed ("12.345,67") → Decimal, for the service, which takes typed values."""
        text = self.cleaned_data["isee_amount"].strip()
        return parse_isee(text) if text else None

    def steps(self) -> list[tuple[str, dict[str, object]]]:
        data = self.cleaned_data
        steps = [
            ("school", {name: data.get(name) for name in ("school", "school_class", "resident")}),
            (
                "isee",
                {
                    name: data.get(name)
                    for name in ("isee_presented", "isee_amount", "isee_protocol", "isee_expires_on")
                },
            ),
        ]
        if "diet" in self.fields:
            steps.append(
                ("diet", {"diet": data.get("diet") or Enrollment.Diet.NONE, "diet_note": data.get("diet_note")})
            )
        transport = {
            name: data.get(name) for name in ("route", "stop", "direction", "pickup_adults") if name in self.fields
        }
        if transport:
            steps.append(("transport", transport))
        return steps


def _context(model_admin, request: HttpRequest, title: str) -> dict:
    return {**model_admin.admin_site.each_context(request), "opts": Enrollment._meta, "title": title}


def late_start_view(model_admin, request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("enrollment.change_enrollment"):
        raise PermissionDenied
    form = LateStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            draft = services.enrollment_draft_start(
                user=signed_in_user(request),
                child_id=form.cleaned_data["child"].pk,
                service_id=form.cleaned_data["service"].pk,
                school_year_id=form.cleaned_data["school_year"].pk,
                staff=True,
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            return redirect(reverse("admin:enrollment_enrollment_late_complete", args=[draft.pk]))
    context = {**_context(model_admin, request, gettext("Iscrizione tardiva")), "form": form, "step": 1}
    return TemplateResponse(request, "admin/enrollment/enrollment/late.html", context)


def late_complete_view(model_admin, request: HttpRequest, object_id) -> HttpResponse:
    if not request.user.has_perm("enrollment.change_enrollment"):
        raise PermissionDenied
    if not str(object_id).isdigit():
        raise Http404
    enrollment = (
        Enrollment.objects.select_related("child", "service", "school_year")
        .filter(pk=int(object_id), status=Enrollment.Status.DRAFT)
        .first()
    )
    if enrollment is None:
        raise Http404
    may_see_health = request.user.has_perm(HEALTH_PERMISSION)
    initial = {
        "school": enrollment.school_id,
        "school_class": enrollment.school_class_id,
        "resident": "" if enrollment.resident is None else ("1" if enrollment.resident else "0"),
        "diet": enrollment.diet,
        "diet_note": enrollment.diet_note,
        "route": enrollment.route_id,
        "stop": enrollment.stop_id,
        "direction": enrollment.direction,
        "pickup_adults": enrollment.pickup_adults,
    }
    form = LateDetailsForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        enrollment=enrollment,
        may_see_health=may_see_health,
    )
    if request.method == "POST" and form.is_valid():
        try:
            for step, data in form.steps():
                services.enrollment_draft_update(
                    enrollment=enrollment, user=signed_in_user(request), step=step, data=data
                )
            if form.cleaned_data.get("diet") == Enrollment.Diet.MEDICAL:
                services.enrollment_medical_diet_set(
                    enrollment=enrollment,
                    user=signed_in_user(request),
                    details=form.cleaned_data.get("details", ""),
                    certificate=form.cleaned_data.get("certificate"),
                )
            submitted = services.enrollment_submit(
                enrollment=enrollment, user=signed_in_user(request), declarations=True, staff=True
            )
        except DomainError as error:
            form_error_add(form, error)
        else:
            model_admin.message_user(
                request,
                gettext("Iscrizione tardiva inviata con protocollo %(protocol)s.") % {"protocol": submitted.protocol},
                level="success",
            )
            return redirect(reverse("admin:enrollment_enrollment_change", args=[submitted.pk]))
    title = gettext("Iscrizione tardiva: %(child)s, %(service)s %(year)s") % {
        "child": f"{enrollment.child.first_name} {enrollment.child.last_name}",
        "service": enrollment.service,
        "year": enrollment.school_year,
    }
    context = {**_context(model_admin, request, title), "form": form, "step": 2, "enrollment": enrollment}
    return TemplateResponse(request, "admin/enrollment/enrollment/late.html", context)
