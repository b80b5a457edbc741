"""The single decisions on an enrollment's admin page: one small form per action, each calling one service.

Posted to `admin:enrollment_enrollment_act` with `op`; a form with an error (reason missing, a percentage
out of range, a rule of the service) comes back on a page of its own with what was typed kept.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from portal.errors import DomainError, form_error_add

from .. import services
from ..models import HEALTH_PERMISSION, Enrollment
from ..selectors import enrollment_next_to_examine
from .health import certificate_download_view, medical_diet_view
from .late import late_complete_view, late_start_view

Status = Enrollment.Status
OPEN_DECIDED = (Status.SUBMITTED, Status.WAITLISTED, Status.ACCEPTED)


if TYPE_CHECKING:  # the mixins below are only ever mixed into EnrollmentAdmin: typed as what they extend
    from django.contrib import admin

    _AdminBase = admin.ModelAdmin[Enrollment]
else:
    _AdminBase = object


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Motivo del rifiuto"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("La famiglia lo legge nell'e-mail e nella pagina dell'iscrizione."),
        error_messages={"required": _("Scrivi il motivo del rifiuto.")},
    )


class RankForm(forms.Form):
    rank = forms.IntegerField(
        label=_("Posizione assegnata dall'ufficio"),
        min_value=1,
        max_value=100_000,
        required=False,
        help_text=_("1 = prima in lista. Vuoto: torna all'ordine di invio, dopo quelle con una posizione."),
    )


class ExemptionForm(forms.Form):
    percent = forms.IntegerField(
        label=_("Esenzione (%)"),
        min_value=0,
        max_value=100,
        help_text=_("100 = nulla da pagare; 0 toglie l'esenzione. La tariffa viene ricalcolata."),
    )
    reason = forms.CharField(
        label=_("Motivo dell'esenzione"),
        max_length=200,
        help_text=_("Ad esempio: delibera dei servizi sociali n. 12/2026."),
        error_messages={"required": _("Scrivi il motivo dell'esenzione.")},
    )


class DietDecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Nota per la famiglia (facoltativa)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Non scrivere qui informazioni mediche."),
    )


@dataclass(frozen=True)
class Op:
    label: str | Promise
    statuses: tuple[str, ...]
    call: Callable[..., object]
    done: str | Promise
    form: type[forms.Form] | None = None
    health: bool = False  # only for staff who may see health data
    danger: bool = False
    when: Callable[[Enrollment], bool] = lambda enrollment: True
    next_label: str | Promise = ""  # a second button: the same action, then the next enrollment to examine


def _isee_expired(enrollment: Enrollment) -> bool:
    return getattr(enrollment, "isee_flag", None) == "expired"


def _diet_requested(enrollment: Enrollment) -> bool:
    return enrollment.diet_status == Enrollment.DietStatus.REQUESTED


OPS: dict[str, Op] = {
    "accept": Op(
        label=_("Accogli"),
        statuses=(Status.SUBMITTED, Status.WAITLISTED),
        call=lambda e, user, data: services.enrollment_accept(enrollment=e, actor=user),
        done=_("Iscrizione accolta."),
        next_label=_("Accogli e passa alla successiva"),
    ),
    "waitlist": Op(
        label=_("Metti in lista d'attesa"),
        statuses=(Status.SUBMITTED,),
        call=lambda e, user, data: services.enrollment_waitlist(enrollment=e, actor=user),
        done=_("Iscrizione messa in lista d'attesa."),
    ),
    "unwaitlist": Op(
        label=_("Togli dalla lista d'attesa"),
        statuses=(Status.WAITLISTED,),
        call=lambda e, user, data: services.enrollment_unwaitlist(enrollment=e, actor=user),
        done=_("Iscrizione tolta dalla lista d'attesa: torna da esaminare."),
    ),
    "rank": Op(
        label=_("Cambia la posizione in lista"),
        statuses=(Status.WAITLISTED,),
        call=lambda e, user, data: services.enrollment_waitlist_rank_set(enrollment=e, actor=user, rank=data["rank"]),
        done=_("Posizione in lista d'attesa aggiornata."),
        form=RankForm,
    ),
    "isee_expired_accept": Op(
        label=_("Accetta l'ISEE scaduto"),
        statuses=(Status.SUBMITTED, Status.WAITLISTED, Status.ACCEPTED),
        call=lambda e, user, data: services.enrollment_isee_expired_accept(enrollment=e, actor=user),
        done=_("ISEE scaduto accettato: la tariffa è stata ricalcolata."),
        when=_isee_expired,
    ),
    "exemption": Op(
        label=_("Imposta l'esenzione"),
        statuses=OPEN_DECIDED,
        call=lambda e, user, data: services.enrollment_exemption_set(
            enrollment=e, actor=user, percent=data["percent"], reason=data["reason"]
        ),
        done=_("Esenzione registrata: la tariffa è stata ricalcolata."),
        form=ExemptionForm,
    ),
    "diet_accept": Op(
        label=_("Accogli la dieta"),
        statuses=(Status.SUBMITTED, Status.WAITLISTED, Status.ACCEPTED),
        call=lambda e, user, data: services.enrollment_diet_decide(
            enrollment=e, actor=user, accepted=True, note=data["note"]
        ),
        done=_("Dieta accolta."),
        form=DietDecisionForm,
        health=True,
        when=_diet_requested,
    ),
    "diet_reject": Op(
        label=_("Respingi la dieta"),
        statuses=(Status.SUBMITTED, Status.WAITLISTED, Status.ACCEPTED),
        call=lambda e, user, data: services.enrollment_diet_decide(
            enrollment=e, actor=user, accepted=False, note=data["note"]
        ),
        done=_("Dieta respinta."),
        form=DietDecisionForm,
        health=True,
        danger=True,
        when=_diet_requested,
    ),
    "reject": Op(
        label=_("Respingi l'iscrizione"),
        statuses=(Status.SUBMITTED, Status.WAITLISTED),
        call=lambda e, user, data: services.enrollment_reject(enrollment=e, actor=user, reason=data["reason"]),
        done=_("Iscrizione respinta."),
        form=RejectForm,
        danger=True,
    ),
    "withdraw": Op(
        label=_("Ritira l'iscrizione"),
        statuses=OPEN_DECIDED,
        call=lambda e, user, data: services.enrollment_withdraw(enrollment=e, user=user, staff=True),
        done=_("Iscrizione ritirata."),
        danger=True,
    ),
}


class ActionViews(_AdminBase):
    """Mixed into EnrollmentAdmin: the URLs and the context of the single actions, the health and late pages."""

    def action_urls(self) -> list:
        def view(function):
            def bound(request, *args, **kwargs):
                return function(self, request, *args, **kwargs)

            bound.__name__ = function.__name__
            return self.admin_site.admin_view(bound)

        return [
            path(
                "<path:object_id>/azione/",
                self.admin_site.admin_view(self.action_view),
                name="enrollment_enrollment_act",
            ),
            path("<path:object_id>/dieta-medica/", view(medical_diet_view), name="enrollment_enrollment_medical_diet"),
            path(
                "<path:object_id>/dieta-medica/certificato/",
                view(certificate_download_view),
                name="enrollment_enrollment_certificate",
            ),
            path("iscrizione-tardiva/", view(late_start_view), name="enrollment_enrollment_late"),
            path(
                "iscrizione-tardiva/<path:object_id>/",
                view(late_complete_view),
                name="enrollment_enrollment_late_complete",
            ),
        ]

    def ops_for(self, request, enrollment: Enrollment) -> list[tuple[str, Op]]:
        if not self.has_change_permission(request, enrollment):
            return []
        may_see_health = request.user.has_perm(HEALTH_PERMISSION)
        return [
            (name, op)
            for name, op in OPS.items()
            if enrollment.status in op.statuses and op.when(enrollment) and (may_see_health or not op.health)
        ]

    def action_context(self, request, object_id) -> dict:
        enrollment = self.get_object(request, object_id)
        if enrollment is None:
            return {}
        forms_ = [
            {
                "op": name,
                "label": op.label,
                "danger": op.danger,
                "form": op.form(prefix=name) if op.form else None,
                "submit_next": op.next_label,
            }
            for name, op in self.ops_for(request, enrollment)
        ]
        return {
            "enrollment_actions": forms_,
            "may_see_health": request.user.has_perm(HEALTH_PERMISSION),
            "has_medical_diet": enrollment.diet == Enrollment.Diet.MEDICAL
            and enrollment.health_data_purged_at is None,
        }

    @staticmethod
    def _change_url(enrollment: Enrollment) -> str:
        return reverse("admin:enrollment_enrollment_change", args=[enrollment.pk])

    def action_view(self, request, object_id):
        return require_POST(self._action)(request, object_id)

    def _action(self, request, object_id):
        enrollment = self.get_object(request, object_id)
        if enrollment is None:
            raise Http404
        name = request.POST.get("op", "")
        allowed = dict(self.ops_for(request, enrollment))
        op = OPS.get(name)
        if op is None:
            raise PermissionDenied
        if op.health and not request.user.has_perm(HEALTH_PERMISSION):
            raise PermissionDenied
        if name not in allowed:
            self.message_user(
                request,
                gettext("L'iscrizione non è più in uno stato che permette questa operazione."),
                level="warning",
            )
            return redirect(self._change_url(enrollment))
        form = op.form(request.POST, prefix=name) if op.form else None
        if form is not None and not form.is_valid():
            return self._action_page(request, enrollment, name, op, form)
        try:
            op.call(enrollment, request.user, form.cleaned_data if form is not None else {})
        except DomainError as error:
            if form is None:
                self.message_user(request, str(error), level="error")
                return redirect(self._change_url(enrollment))
            form_error_add(form, error)
            return self._action_page(request, enrollment, name, op, form)
        self.message_user(request, str(op.done), level="success")
        if op.next_label and "next" in request.POST:
            return self._next_redirect(request, enrollment)
        return redirect(self._change_url(enrollment))

    def _next_redirect(self, request, enrollment: Enrollment):
        following = enrollment_next_to_examine(after=enrollment)
        if following is None:
            self.message_user(
                request, gettext("Non ci sono altre iscrizioni da esaminare per questo servizio e anno."), "info"
            )
            return redirect(reverse("admin:enrollment_enrollment_changelist") + "?status__exact=submitted")
        return redirect(self._change_url(following))

    def _action_page(self, request, enrollment, name: str, op: Op, form):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{op.label} — {enrollment}",
            "original": enrollment,
            "op": name,
            "action": {"op": name, "label": op.label, "danger": op.danger, "form": form},
        }
        return TemplateResponse(request, "admin/enrollment/enrollment/action_form.html", context)
