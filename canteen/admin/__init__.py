"""The office's canteen in the admin: calendars with their closures (a short-notice closure e-mails the families),
the year's rules, attendance files and single-day corrections, exceptions after the cut-off, the kitchens' access
codes and their calls, end-of-year requests, and the reports (meals served, arrears, money per day) with CSV."""

from . import attendance, calendar, family  # noqa: F401 - each module registers its ModelAdmins
