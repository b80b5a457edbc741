"""The parent's enrollment wizard: one class per page (`steps`), their order and navigation (`flow`), and the
step forms (`forms`). The views ask a step for its form, validate it, and let the step call the service."""

from .flow import (
    RETURN_PARAM,
    RETURN_TO_SUMMARY,
    pages_for,
    resume_step,
    resume_url,
    step_for_missing,
    step_url,
    steps_for,
)
from .steps import BY_SLUG, STEPS, SUMMARY, Step

__all__ = [
    "BY_SLUG",
    "RETURN_PARAM",
    "RETURN_TO_SUMMARY",
    "STEPS",
    "SUMMARY",
    "Step",
    "pages_for",
    "resume_step",
    "resume_url",
    "step_for_missing",
    "step_url",
    "steps_for",
]
