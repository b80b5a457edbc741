from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from portal.models import RetentionRun
from portal.site import retention


class Command(BaseCommand):
    help = (
        "Delete what the office's retention periods say is past due (health data, ISEE values, never-verified "
        "accounts); --dry-run only counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; change nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        translation.activate("it")
        counts = retention.retention_purge_run(dry_run=dry_run, trigger=RetentionRun.Trigger.COMMAND)
        if dry_run:
            self.stdout.write("Prova (--dry-run): record che sarebbero cancellati; nulla è stato cancellato.")
        else:
            self.stdout.write("Record cancellati:")
        for purger in retention.PURGERS:
            count = counts.get(purger.name)
            self.stdout.write(f"  {purger.label}: {'ERRORE (vedi il log)' if count is None else count}")
        failed = retention.retention_purge_failed(counts)
        if failed:
            raise CommandError(f"Non riuscita: {', '.join(failed)}")
