import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from payments.services import nursery_fees_issue
from portal.errors import DomainError


def _month(text: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(text.strip(), "%Y-%m").date()  # noqa: DTZ007 - a calendar month, no time
    except ValueError as error:
        raise CommandError(f"--month must be YYYY-MM (e.g. 2026-10), not {text!r}.") from error


class Command(BaseCommand):
    help = (
        "Issue the nursery's monthly fee notices of a month (default: the current one, Europe/Rome) for the accepted "
        "enrollments that have none yet. Safe to run again: it issues only what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", metavar="YYYY-MM", help="The month of the fees. Default: the current one.")

    def handle(self, *args, month=None, **options):
        day = _month(month) if month else timezone.localdate()
        try:
            count = nursery_fees_issue(month=day)
        except DomainError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{count} nursery fee notice(s) issued for {day:%m/%Y}.")
