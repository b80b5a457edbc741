"""The review queue's bulk actions, mixed into EnrollmentAdmin: each calls a service, never `queryset.update`.

The message says how many were done and how many were skipped (not in a state that allows the action); for the
actions done one by one, the first reasons of a refusal follow.
"""

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portal.errors import DomainError

from .. import services
from ..models import Enrollment
from .actions import RejectForm, _AdminBase


class BulkActions(_AdminBase):
    actions = [
        "accept_selected",
        "reject_selected",
        "waitlist_selected",
        "unwaitlist_selected",
        "diet_accept_selected",
        "diet_reject_selected",
    ]

    def _report(self, request, *, done: int, total: int, done_message: str) -> None:
        skipped = total - done
        text = done_message
        if skipped:
            text += " " + ngettext(
                "%(count)d saltata: non era in uno stato che lo consente.",
                "%(count)d saltate: non erano in uno stato che lo consente.",
                skipped,
            ) % {"count": skipped}
        self.message_user(request, text, messages.SUCCESS if done else messages.WARNING)

    @admin.action(description=_("Accogli le iscrizioni selezionate"), permissions=["change"])
    def accept_selected(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        done = services.enrollments_accept_bulk(enrollment_ids=ids, actor=request.user)
        self._report(
            request,
            done=done,
            total=len(ids),
            done_message=ngettext("%(count)d iscrizione accolta.", "%(count)d iscrizioni accolte.", done)
            % {"count": done},
        )

    @admin.action(description=_("Respingi le iscrizioni selezionate (chiede il motivo)"), permissions=["change"])
    def reject_selected(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        form = RejectForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            done = services.enrollments_reject_bulk(
                enrollment_ids=ids, actor=request.user, reason=form.cleaned_data["reason"]
            )
            self._report(
                request,
                done=done,
                total=len(ids),
                done_message=ngettext("%(count)d iscrizione respinta.", "%(count)d iscrizioni respinte.", done)
                % {"count": done},
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Respingi le iscrizioni selezionate"),
            "opts": self.opts,
            "form": form,
            "queryset": queryset.select_related("child", "service", "school_year")[:200],
            "count": len(ids),
            "ids": ids,
            "action": "reject_selected",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/enrollment/enrollment/reject_selected.html", context)

    @admin.action(description=_("Metti in lista d'attesa le iscrizioni selezionate"), permissions=["change"])
    def waitlist_selected(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        done = services.enrollments_waitlist_bulk(enrollment_ids=ids, actor=request.user)
        self._report(
            request,
            done=done,
            total=len(ids),
            done_message=ngettext(
                "%(count)d iscrizione messa in lista d'attesa.", "%(count)d iscrizioni messe in lista d'attesa.", done
            )
            % {"count": done},
        )

    def _one_by_one(self, request, queryset, *, eligible: Q, call, message: Callable[[int], str]) -> None:
        total = queryset.count()
        done, errors = 0, []
        for enrollment in queryset.filter(eligible).order_by("pk"):
            try:
                call(enrollment)
            except DomainError as error:
                errors.append(f"{enrollment.protocol or enrollment.pk}: {error}")
            else:
                done += 1
        self._report(request, done=done, total=total, done_message=message(done))
        for text in errors[:5]:
            self.message_user(request, text, messages.WARNING)

    @admin.action(description=_("Togli dalla lista d'attesa (torna da esaminare)"), permissions=["change"])
    def unwaitlist_selected(self, request, queryset):
        self._one_by_one(
            request,
            queryset,
            eligible=Q(status=Enrollment.Status.WAITLISTED),
            call=lambda e: services.enrollment_unwaitlist(enrollment=e, actor=request.user),
            message=lambda n: (
                ngettext(
                    "%(count)d iscrizione tolta dalla lista d'attesa.",
                    "%(count)d iscrizioni tolte dalla lista d'attesa.",
                    n,
                )
                % {"count": n}
            ),
        )

    @admin.action(description=_("Accogli la dieta richiesta"), permissions=["diet_decide"])
    def diet_accept_selected(self, request, queryset):
        self._one_by_one(
            request,
            queryset,
            eligible=Q(diet_status=Enrollment.DietStatus.REQUESTED),
            call=lambda e: services.enrollment_diet_decide(enrollment=e, actor=request.user, accepted=True),
            message=lambda n: ngettext("%(count)d dieta accolta.", "%(count)d diete accolte.", n) % {"count": n},
        )

    @admin.action(description=_("Respingi la dieta richiesta"), permissions=["diet_decide"])
    def diet_reject_selected(self, request, queryset):
        self._one_by_one(
            request,
            queryset,
            eligible=Q(diet_status=Enrollment.DietStatus.REQUESTED),
            call=lambda e: services.enrollment_diet_decide(enrollment=e, actor=request.user, accepted=False),
            message=lambda n: ngettext("%(count)d dieta respinta.", "%(count)d diete respinte.", n) % {"count": n},
        )
