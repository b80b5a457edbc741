"""The wizard's pages for one draft: which apply to its service, their order, where to resume.

One thing per page. A page saves through `enrollment_draft_update` under the service's step name (`service_step`:
school, isee, diet, transport — what `enrollment.step` keeps); the URL uses the page's Italian slug.

Resuming ("Riprendi"): a draft nobody has saved yet (a new one, or one prefilled from last year, which the parent
must check) starts at the first page; otherwise at the first page whose answer is missing. A diet of "none" is
an answer too: it counts as given once the draft was saved at the diet step or later.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import forms
from .models import Enrollment, ServiceKind

DIET_KINDS = (ServiceKind.CANTEEN, ServiceKind.NURSERY)  # services with meals
PICKUP_KINDS = (ServiceKind.TRANSPORT, ServiceKind.NURSERY)  # services where someone collects the child
SERVICE_STEP_ORDER = ("school", "isee", "diet", "transport")
SUMMARY = "riepilogo"


@dataclass(frozen=True)
class Step:
    slug: str
    service_step: str
    title: Promise
    form_class: type | None
    kinds: tuple[str, ...] = ()  # empty: every service

    @property
    def template(self) -> str:
        return f"enrollment/step_{self.slug}.html"


STEPS = (
    Step("scuola", "school", _("Scuola"), forms.SchoolForm),
    Step("classe", "school", _("Classe"), forms.ClassForm),
    Step("residenza", "school", _("Residenza"), forms.ResidencyForm),
    Step("isee", "isee", _("ISEE"), forms.IseeForm),
    Step("dieta", "diet", _("Dieta"), forms.DietForm, DIET_KINDS),
    Step("linea", "transport", _("Linea dello scuolabus"), forms.RouteForm, (ServiceKind.TRANSPORT,)),
    Step("fermata", "transport", _("Fermata e percorso"), forms.StopForm, (ServiceKind.TRANSPORT,)),
    Step("ritiro", "transport", _("Chi ritira il bambino"), forms.PickupForm, PICKUP_KINDS),
    Step(SUMMARY, "", _("Riepilogo e invio"), None),
)
BY_SLUG = {step.slug: step for step in STEPS}
# The page to send the parent back to when the submission finds something missing (MissingDataError.field).
FIELD_STEP = {
    "school": "scuola",
    "school_class": "classe",
    "resident": "residenza",
    "isee_presented": "isee",
    "isee_amount": "isee",
    "isee_protocol": "isee",
    "isee_expires_on": "isee",
    "diet": "dieta",
    "diet_note": "dieta",
    "details": "dieta",
    "certificate": "dieta",
    "route": "linea",
    "stop": "fermata",
    "direction": "fermata",
    "pickup_adults": "ritiro",
}
SERVICE_STEP_FIRST_PAGE = {"school": "scuola", "isee": "isee", "diet": "dieta", "transport": "linea"}


def steps_for(enrollment: Enrollment, *, has_classes: bool) -> list[Step]:
    """The pages of this draft, in order: the class page only when the chosen school has classes."""
    kind = enrollment.service.kind
    pages = []
    for step in STEPS:
        if step.kinds and kind not in step.kinds:
            continue
        if step.slug == "classe" and enrollment.school_id and not has_classes:
            continue
        pages.append(step)
    return pages


def _saved_at_least(enrollment: Enrollment, service_step: str) -> bool:
    if enrollment.step not in SERVICE_STEP_ORDER:
        return False
    return SERVICE_STEP_ORDER.index(enrollment.step) >= SERVICE_STEP_ORDER.index(service_step)


def is_answered(step: Step, enrollment: Enrollment) -> bool:
    """Whether the draft holds an answer for this page (the summary never is: it is where one sends)."""
    match step.slug:
        case "scuola":
            return enrollment.school_id is not None
        case "classe":
            return enrollment.school_class_id is not None
        case "residenza":
            return enrollment.resident is not None
        case "isee":
            return enrollment.isee_presented is not None
        case "dieta":
            return enrollment.diet != Enrollment.Diet.NONE or _saved_at_least(enrollment, "diet")
        case "linea":
            return enrollment.route_id is not None
        case "fermata":
            return enrollment.stop_id is not None and bool(enrollment.direction)
        case "ritiro":
            return bool(enrollment.pickup_adults) or enrollment.direction == Enrollment.Direction.OUTBOUND
    return False


def resume_step(enrollment: Enrollment, pages: list[Step]) -> Step:
    """Where "Riprendi" lands: the first page for a draft never saved, else the first page without an answer."""
    if not enrollment.step:
        return pages[0]
    for step in pages:
        if not is_answered(step, enrollment):
            return step
    return pages[-1]


def prerequisite(step: Step, enrollment: Enrollment) -> str | None:
    """The page to fill first, when this one cannot be shown yet (classes need a school, stops a route)."""
    if step.slug == "classe" and enrollment.school_id is None:
        return "scuola"
    if step.slug == "linea" and enrollment.school_id is None:
        return "scuola"
    if step.slug == "fermata" and enrollment.route_id is None:
        return "linea"
    return None


def step_for_missing(error, pages: list[Step]) -> Step | None:
    """The page where a MissingDataError / InvalidChoiceError can be fixed, if it is one of this draft's."""
    slugs = {step.slug for step in pages}
    slug = FIELD_STEP.get(getattr(error, "field", None) or "")
    if slug is None:
        slug = SERVICE_STEP_FIRST_PAGE.get(getattr(error, "step", "") or "")
    return BY_SLUG[slug] if slug in slugs else None
