"""Every write about enrollments, one function per action, keyword arguments, one transaction each.

- `draft`: the parent's draft (start, one wizard step at a time through `fields`, medical diet, discard);
- `submit`: tariff preview, submission, withdrawal;
- `office`: the office's transitions one by one; `bulk`: the same in bulk; `health`: health data for staff;
  `retention`: the purges of health data and ISEE values once the office's periods have passed;
- `common`, `mails`, `transitions`: what they share (locks, audit trail, e-mails, seats and waiting lists).

Refusals raise `enrollment.errors.EnrollmentError` subclasses: str(error) is the message for the user.
"""

from .bulk import enrollments_accept_bulk, enrollments_reject_bulk, enrollments_waitlist_bulk
from .draft import (
    CERTIFICATE_MAX_BYTES,
    certificate_check,
    enrollment_draft_discard,
    enrollment_draft_start,
    enrollment_draft_update,
    enrollment_medical_diet_set,
)
from .health import health_data_access_record, medical_certificate_open_for_staff, medical_diet_get_for_staff
from .office import (
    enrollment_accept,
    enrollment_diet_decide,
    enrollment_exemption_set,
    enrollment_isee_expired_accept,
    enrollment_reject,
    enrollment_unwaitlist,
    enrollment_waitlist,
    enrollment_waitlist_rank_set,
    route_waitlist_fill,
)
from .retention import enrollment_isee_purge, medical_diet_purge
from .submit import RECEIPT_ATTACHMENT, enrollment_submit, enrollment_tariff_preview, enrollment_withdraw

__all__ = [
    "CERTIFICATE_MAX_BYTES",
    "RECEIPT_ATTACHMENT",
    "certificate_check",
    "enrollment_accept",
    "enrollment_diet_decide",
    "enrollment_draft_discard",
    "enrollment_draft_start",
    "enrollment_draft_update",
    "enrollment_exemption_set",
    "enrollment_isee_expired_accept",
    "enrollment_isee_purge",
    "enrollment_medical_diet_set",
    "enrollment_reject",
    "enrollment_submit",
    "enrollment_tariff_preview",
    "enrollment_unwaitlist",
    "enrollment_waitlist",
    "enrollment_waitlist_rank_set",
    "enrollment_withdraw",
    "enrollments_accept_bulk",
    "enrollments_reject_bulk",
    "enrollments_waitlist_bulk",
    "health_data_access_record",
    "medical_certificate_open_for_staff",
    "medical_diet_get_for_staff",
    "medical_diet_purge",
    "route_waitlist_fill",
]
