"""The office's setting: canteen arrears block next year's enrollment (a parent's submission is refused with the
reason; the office may still enroll); without the setting, arrears block nothing."""

from decimal import Decimal

import pytest

from canteen.errors import CanteenError
from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from payments.services import ledger_record
from tests.enrollment.factories import EnrollmentWindowFactory, SchoolYearFactory, draft_ready, plan_with_bands


@pytest.fixture
def next_year_draft(meal_enrollment, parent, canteen_service, rodari):
    following = SchoolYearFactory(start=2027)
    plan_with_bands(service=canteen_service, school_year=following)
    EnrollmentWindowFactory(service=canteen_service, school_year=following)
    return draft_ready(
        user=parent, child=meal_enrollment.child, service=canteen_service, school_year=following, school=rodari
    )


def in_debt(enrollment, amount="-25.00"):
    ledger_record(
        child=enrollment.child, service_kind="canteen", kind="adjustment", amount=Decimal(amount), reason="x"
    )


@pytest.mark.django_db
def test_arrears_block_the_parents_submission_when_the_office_says_so(
    meal_enrollment, policy, parent, next_year_draft
):
    policy.arrears_block_enrollment = True
    policy.save()
    in_debt(meal_enrollment)
    with pytest.raises(CanteenError, match="credito della mensa è negativo"):
        enrollment_services.enrollment_submit(enrollment=next_year_draft, user=parent, declarations=True)
    next_year_draft.refresh_from_db()
    assert next_year_draft.status == Enrollment.Status.DRAFT
    submitted = enrollment_services.enrollment_submit(
        enrollment=next_year_draft, user=parent, declarations=True, staff=True
    )
    assert submitted.status == Enrollment.Status.SUBMITTED


@pytest.mark.django_db
def test_within_the_overdraft_or_without_the_setting_nothing_is_blocked(
    meal_enrollment, policy, parent, next_year_draft
):
    in_debt(meal_enrollment)
    submitted = enrollment_services.enrollment_submit(enrollment=next_year_draft, user=parent, declarations=True)
    assert submitted.status == Enrollment.Status.SUBMITTED
