"""The canteen's writes: meals into the ledger, attendance in, parents' cancellations, the office's exceptions,
reminders and end-of-year requests."""

from .attendance import attendance_apply, attendance_correct, attendance_discard, attendance_preview, date_parse
from .cancel import (
    cancellable,
    days_in_range,
    meal_exception_check,
    meal_exception_grant,
    meals_cancel,
    meals_cancel_withdraw,
)
from .family import closure_notify, threshold_set, year_end_decide, year_end_request
from .reminders import balance_reminders
from .settle import SettleResult, meals_settle

__all__ = [
    "SettleResult",
    "attendance_apply",
    "attendance_correct",
    "attendance_discard",
    "attendance_preview",
    "balance_reminders",
    "cancellable",
    "closure_notify",
    "date_parse",
    "days_in_range",
    "meal_exception_check",
    "meal_exception_grant",
    "meals_cancel",
    "meals_cancel_withdraw",
    "meals_settle",
    "threshold_set",
    "year_end_decide",
    "year_end_request",
]
