"""The wizard's step forms: one per page, validation of what was typed only, typed values handed to the service."""

from .common import StepForm
from .diet import DietForm, medical_diet_of
from .school import ClassForm, IseeForm, ResidencyForm, SchoolForm, isee_expired_warning
from .summary import DeclarationsForm
from .transport import PickupForm, RouteForm, StopForm

__all__ = [
    "ClassForm",
    "DeclarationsForm",
    "DietForm",
    "IseeForm",
    "PickupForm",
    "ResidencyForm",
    "RouteForm",
    "SchoolForm",
    "StepForm",
    "StopForm",
    "isee_expired_warning",
    "medical_diet_of",
]
