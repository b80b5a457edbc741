"""Which pages a draft has, in what order, where "Riprendi" lands and where a refusal can be fixed.

Resuming ("Riprendi"): a draft nobody has saved yet (a new one, or one prefilled from last year, which the parent
must check) starts at the first page; otherwise at the first page whose answer is missing.
"""

from __future__ import annotations

from django.urls import reverse

from portal.errors import DomainError

from .. import selectors
from ..models import Enrollment
from .steps import BY_SLUG, FIELD_STEP, SERVICE_STEP_FIRST_PAGE, STEPS, Step

RETURN_PARAM, RETURN_TO_SUMMARY = "ritorno", "riepilogo"


def steps_for(enrollment: Enrollment, *, has_classes: bool) -> list[Step]:
    """The pages of this draft, in order: the class page only when the chosen school has classes."""
    return [step for step in STEPS if step.is_applicable(enrollment, has_classes=has_classes)]


def pages_for(enrollment: Enrollment) -> list[Step]:
    """The pages of this draft (asks whether its school has classes)."""
    has_classes = bool(enrollment.school_id) and selectors.school_class_list(school=enrollment.school_id).exists()
    return steps_for(enrollment, has_classes=has_classes)


def resume_step(enrollment: Enrollment, pages: list[Step]) -> Step:
    """Where "Riprendi" lands: the first page for a draft never saved, else the first page without an answer."""
    if not enrollment.step:
        return pages[0]
    for step in pages:
        if not step.is_answered(enrollment):
            return step
    return pages[-1]


def step_for_missing(error: DomainError, pages: list[Step]) -> Step | None:
    """The page where a MissingDataError / InvalidChoiceError can be fixed, if it is one of this draft's."""
    slugs = {step.slug for step in pages}
    slug = FIELD_STEP.get(error.field or "")
    if slug is None:
        slug = SERVICE_STEP_FIRST_PAGE.get(getattr(error, "step", "") or "")
    return BY_SLUG[slug] if slug in slugs else None


def step_url(enrollment: Enrollment, slug: str, *, returning: bool = False) -> str:
    url = reverse("enrollment:step", kwargs={"pk": enrollment.pk, "step": slug})
    return f"{url}?{RETURN_PARAM}={RETURN_TO_SUMMARY}" if returning else url


def resume_url(enrollment: Enrollment) -> str:
    """Where "Riprendi" takes the parent for a draft (the detail page for anything else)."""
    if enrollment.status != Enrollment.Status.DRAFT:
        return reverse("enrollment:detail", kwargs={"pk": enrollment.pk})
    return step_url(enrollment, resume_step(enrollment, pages_for(enrollment)).slug)
