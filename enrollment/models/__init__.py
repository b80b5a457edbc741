"""The enrollment app's models (Django's `enrollment.models`): `catalog` (what the office configures), `enrollment`
(an enrollment, its medical diet, its history, the health data access log) and `common`."""

from .catalog import (
    EnrollmentWindow,
    Route,
    School,
    SchoolClass,
    SchoolStaff,
    SchoolYear,
    Service,
    Stop,
    TariffBand,
    TariffPlan,
)
from .common import (
    HEALTH_PERMISSION,
    MUNICIPAL_KINDS,
    PREPAID_KINDS,
    ServiceKind,
    municipal_kind_choices,
    prepaid_kind_choices,
    service_kind_prepaid,
)
from .enrollment import Enrollment, EnrollmentEvent, HealthDataAccess, MedicalDiet

__all__ = [
    "HEALTH_PERMISSION",
    "MUNICIPAL_KINDS",
    "PREPAID_KINDS",
    "Enrollment",
    "EnrollmentEvent",
    "EnrollmentWindow",
    "HealthDataAccess",
    "MedicalDiet",
    "Route",
    "School",
    "SchoolClass",
    "SchoolStaff",
    "SchoolYear",
    "Service",
    "ServiceKind",
    "Stop",
    "TariffBand",
    "TariffPlan",
    "municipal_kind_choices",
    "prepaid_kind_choices",
    "service_kind_prepaid",
]
