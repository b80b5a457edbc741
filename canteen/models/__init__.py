"""The canteen's days: the school calendar, the office's rules, meals reported by schools and cancelled by parents."""

from .calendar import CanteenCalendar, CanteenPolicy, Closure
from .family import BalanceAlert, LowBalanceThreshold, YearEndRequest
from .kitchen import KitchenApiCall, KitchenToken
from .meals import Attendance, AttendanceBatch, MealCancellation, MealException, MealType

__all__ = [
    "Attendance",
    "AttendanceBatch",
    "BalanceAlert",
    "CanteenCalendar",
    "CanteenPolicy",
    "Closure",
    "KitchenApiCall",
    "KitchenToken",
    "LowBalanceThreshold",
    "MealCancellation",
    "MealException",
    "MealType",
    "YearEndRequest",
]
