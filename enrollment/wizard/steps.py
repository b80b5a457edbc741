"""The wizard's pages, one class per page (as pretix's checkout flow steps and oscar's checkout session).

One thing per page. Each step knows its slug (the URL's Italian word), its title, the service step it saves under
(`service_step`: school, isee, diet, transport — what `enrollment.step` keeps), whether it applies to a draft,
whether the draft already answers it, the page to fill first, its form and template, and the fields it writes.
A page saves through `enrollment_draft_update` (the diet page with a medical diet also through
`enrollment_medical_diet_set`, in the same transaction).

A diet of "none" is an answer too: it counts as given once the draft was saved at the diet step or later.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from .. import services
from ..models import Enrollment, ServiceKind
from .forms import (
    ClassForm,
    DeclarationsForm,
    DietForm,
    IseeForm,
    PickupForm,
    ResidencyForm,
    RouteForm,
    SchoolForm,
    StepForm,
    StopForm,
    isee_expired_warning,
)

DIET_KINDS = (ServiceKind.CANTEEN, ServiceKind.NURSERY)  # services with meals
PICKUP_KINDS = (ServiceKind.TRANSPORT, ServiceKind.NURSERY)  # services where someone collects the child
SERVICE_STEP_ORDER = ("school", "isee", "diet", "transport")
SUMMARY = "riepilogo"


def _saved_at_least(enrollment: Enrollment, service_step: str) -> bool:
    if enrollment.step not in SERVICE_STEP_ORDER:
        return False
    return SERVICE_STEP_ORDER.index(enrollment.step) >= SERVICE_STEP_ORDER.index(service_step)


class Step:
    """A page of the wizard. Subclasses set the class attributes and answer `is_answered`."""

    slug: ClassVar[str]
    title: ClassVar[Promise]
    service_step: ClassVar[str] = ""
    form_class: ClassVar[type[StepForm] | None] = None
    kinds: ClassVar[tuple[str, ...]] = ()  # the services it applies to; empty: every service
    fields: ClassVar[tuple[str, ...]] = ()  # the draft fields the page answers (and writes)
    error_fields: ClassVar[dict[str, str]] = {}  # a service's field name → the form's, when they differ

    @property
    def template(self) -> str:
        return f"enrollment/wizard_{self.slug}.html"

    def is_applicable(self, enrollment: Enrollment, *, has_classes: bool) -> bool:
        """Whether the draft has this page (its service's pages; the class page only for a school with classes)."""
        return not self.kinds or enrollment.service.kind in self.kinds

    def is_answered(self, enrollment: Enrollment) -> bool:
        """Whether the draft holds an answer for this page."""
        return False

    def prerequisite(self, enrollment: Enrollment) -> str | None:
        """The slug of the page to fill first, when this one cannot be shown yet."""
        return None

    def form(
        self, enrollment: Enrollment, data: Any = None, files: Any = None, *, private_visible: bool = True
    ) -> StepForm:
        if self.form_class is None:
            raise TypeError(f"the {self.slug} page has no step form")
        return self.form_class(data, files, enrollment=enrollment, private_visible=private_visible)

    def form_field(self, field: str | None) -> str | None:
        """Where on this page's form a service's error about `field` goes."""
        return self.error_fields.get(field or "", field)

    def save(self, form: StepForm, *, enrollment: Enrollment, user: User) -> None:
        """The page's answer into the draft (the form's typed values)."""
        services.enrollment_draft_update(
            enrollment=enrollment, user=user, step=self.service_step, data=form.data_for_update()
        )

    def saved_message(self, form: StepForm) -> str:
        """A warning to show after saving, or ''."""
        return ""

    def extra_context(self, enrollment: Enrollment) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.slug}>"


class SchoolStep(Step):
    slug, title, service_step, form_class = "scuola", _("Scuola"), "school", SchoolForm
    fields = ("school",)  # choosing another school also clears the class of the previous one

    def is_answered(self, enrollment: Enrollment) -> bool:
        return enrollment.school_id is not None


class ClassStep(Step):
    slug, title, service_step, form_class = "classe", _("Classe"), "school", ClassForm
    fields = ("school_class",)

    def is_applicable(self, enrollment: Enrollment, *, has_classes: bool) -> bool:
        return not enrollment.school_id or has_classes

    def is_answered(self, enrollment: Enrollment) -> bool:
        return enrollment.school_class_id is not None

    def prerequisite(self, enrollment: Enrollment) -> str | None:
        return SchoolStep.slug if enrollment.school_id is None else None


class ResidencyStep(Step):
    slug, title, service_step, form_class = "residenza", _("Residenza"), "school", ResidencyForm
    fields = ("resident",)

    def is_answered(self, enrollment: Enrollment) -> bool:
        return enrollment.resident is not None


class IseeStep(Step):
    slug, title, service_step, form_class = "isee", _("ISEE"), "isee", IseeForm
    fields = ("isee_presented", "isee_amount", "isee_protocol", "isee_expires_on")
    error_fields = {
        "isee_presented": "presented",
        "isee_amount": "amount",
        "isee_protocol": "protocol",
        "isee_expires_on": "expires_on",
    }

    def is_answered(self, enrollment: Enrollment) -> bool:
        return enrollment.isee_presented is not None

    def saved_message(self, form: StepForm) -> str:
        if isinstance(form, IseeForm) and form.is_expired:
            return isee_expired_warning(form.cleaned_data["expires_on"])
        return ""

    def extra_context(self, enrollment: Enrollment) -> dict[str, Any]:
        expires_on = enrollment.isee_expires_on
        if enrollment.isee_presented and expires_on and expires_on < timezone.localdate():
            return {"isee_warning": isee_expired_warning(expires_on)}
        return {}


class DietStep(Step):
    slug, title, service_step, form_class = "dieta", _("Dieta"), "diet", DietForm
    kinds = DIET_KINDS
    fields = ("diet", "diet_note", "details", "certificate")  # details and certificate: the medical diet
    error_fields = {"details": "medical_details"}

    def is_answered(self, enrollment: Enrollment) -> bool:
        return enrollment.diet != Enrollment.Diet.NONE or _saved_at_least(enrollment, self.service_step)

    def save(self, form: StepForm, *, enrollment: Enrollment, user: User) -> None:
        """A medical diet (details, certificate) and the diet answer in one transaction."""
        if not (isinstance(form, DietForm) and form.is_medical):
            super().save(form, enrollment=enrollment, user=user)
            return
        with transaction.atomic():
            services.enrollment_medical_diet_set(
                enrollment=enrollment,
                user=user,
                details=form.medical_details_to_save(),
                certificate=form.cleaned_data.get("certificate"),
            )
            super().save(form, enrollment=enrollment, user=user)


class RouteStep(Step):
    slug, title, service_step, form_class = "linea", _("Linea dello scuolabus"), "transport", RouteForm
    kinds = (ServiceKind.TRANSPORT,)
    fields = ("route",)  # choosing another route also clears the stop of the previous one

    def is_answered(self, enrollment: Enrollment) -> bool:
        return enrollment.route_id is not None

    def prerequisite(self, enrollment: Enrollment) -> str | None:
        return SchoolStep.slug if enrollment.school_id is None else None


class StopStep(Step):
    slug, title, service_step, form_class = "fermata", _("Fermata e percorso"), "transport", StopForm
    kinds = (ServiceKind.TRANSPORT,)
    fields = ("stop", "direction")

    def is_answered(self, enrollment: Enrollment) -> bool:
        return enrollment.stop_id is not None and bool(enrollment.direction)

    def prerequisite(self, enrollment: Enrollment) -> str | None:
        return RouteStep.slug if enrollment.route_id is None else None

    def extra_context(self, enrollment: Enrollment) -> dict[str, Any]:
        return {"route": enrollment.route} if enrollment.route_id else {}


class PickupStep(Step):
    slug, title, service_step, form_class = "ritiro", _("Chi ritira il bambino"), "transport", PickupForm
    kinds = PICKUP_KINDS
    fields = ("pickup_adults",)

    def is_answered(self, enrollment: Enrollment) -> bool:
        return bool(enrollment.pickup_adults) or enrollment.direction == Enrollment.Direction.OUTBOUND


class SummaryStep(Step):
    """Everything entered, the tariff it gives, the declarations and "Invia la domanda": never answered, it is
    where one sends (its form is the declarations', handled by the summary view)."""

    slug, title = SUMMARY, _("Riepilogo e invio")
    declarations_form = DeclarationsForm


STEPS: tuple[Step, ...] = (
    SchoolStep(),
    ClassStep(),
    ResidencyStep(),
    IseeStep(),
    DietStep(),
    RouteStep(),
    StopStep(),
    PickupStep(),
    SummaryStep(),
)
BY_SLUG: dict[str, Step] = {step.slug: step for step in STEPS}
# The page where a service's error about a field can be fixed: the first page that answers it.
FIELD_STEP: dict[str, str] = {}
for _step in STEPS:
    for _field in _step.fields:
        FIELD_STEP.setdefault(_field, _step.slug)
SERVICE_STEP_FIRST_PAGE: dict[str, str] = {}
for _step in STEPS:
    if _step.service_step:
        SERVICE_STEP_FIRST_PAGE.setdefault(_step.service_step, _step.slug)
