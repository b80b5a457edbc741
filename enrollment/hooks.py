"""What other apps do when enrollments change, without enrollment importing them (payments sits above it).

An app registers a hook in its `AppConfig.ready()`; enrollment's services call the hooks inside their own
transaction, so what a hook writes (a fee notice) commits or rolls back with the transition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User

EnrollmentsAcceptedHook = Callable[..., object]  # called as hook(enrollment_ids=[...], actor=user)

_accepted_hooks: list[EnrollmentsAcceptedHook] = []


def enrollments_accepted_hook_register(hook: EnrollmentsAcceptedHook) -> None:
    """Call `hook(enrollment_ids=..., actor=...)` whenever enrollments are accepted (registered once)."""
    if hook not in _accepted_hooks:
        _accepted_hooks.append(hook)


def enrollments_accepted_notify(*, enrollment_ids: list[int], actor: User | None) -> None:
    """Run the registered hooks for these newly accepted enrollments, in the caller's transaction."""
    for hook in _accepted_hooks:
        hook(enrollment_ids=enrollment_ids, actor=actor)


# The kitchen's count (enrollment.exports.kitchen_counts) asks the canteen which children of the day will not eat
# ("cancel") or eat a light meal ("light"): hook(day=date, enrollment_ids=[...]) -> {enrollment_id: "cancel"|"light"}.
KitchenRequestsHook = Callable[..., dict[int, str]]

_kitchen_hooks: list[KitchenRequestsHook] = []


def kitchen_requests_hook_register(hook: KitchenRequestsHook) -> None:
    if hook not in _kitchen_hooks:
        _kitchen_hooks.append(hook)


def kitchen_requests(*, day, enrollment_ids: list[int]) -> dict[int, str]:
    """The families' requests for the day, from every registered hook (none: nobody cancelled)."""
    found: dict[int, str] = {}
    for hook in _kitchen_hooks:
        found.update(hook(day=day, enrollment_ids=enrollment_ids))
    return found


# Checks other apps add to a submission (the canteen: arrears that block next year's enrollment, when the office says
# so): hook(enrollment=...) raises a DomainError whose message the parent reads; called before anything is written.
SubmitCheckHook = Callable[..., None]

_submit_checks: list[SubmitCheckHook] = []


def submit_check_hook_register(hook: SubmitCheckHook) -> None:
    if hook not in _submit_checks:
        _submit_checks.append(hook)


def submit_checks_run(*, enrollment) -> None:
    for hook in _submit_checks:
        hook(enrollment=enrollment)
