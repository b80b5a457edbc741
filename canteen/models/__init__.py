"""The canteen's days: the school calendar, the office's rules, meals reported by schools and cancelled by parents."""

from .calendar import CanteenCalendar, CanteenPolicy, Closure
from .meals import Attendance, AttendanceBatch, MealCancellation, MealException

__all__ = [
    "Attendance",
    "AttendanceBatch",
    "CanteenCalendar",
    "CanteenPolicy",
    "Closure",
    "MealCancellation",
    "MealException",
]
