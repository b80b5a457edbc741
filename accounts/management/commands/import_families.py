from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.imports import families_import_apply


class Command(BaseCommand):
    help = (
        "Import the families the Comune already knows from a CSV file: the whole file is validated first "
        "(errors are printed with their line number) and written only if it has no errors, all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (';' or ',' separated, UTF-8 or Windows-1252).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and count what would change, without writing anything."
        )

    def handle(self, *args, file: str, dry_run: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"File not found: {path}")
        report = families_import_apply(file=path, actor=None, dry_run=dry_run)
        for line in report.summary_lines():
            self.stdout.write(line)
        if report.has_errors:
            raise CommandError(f"{report.error_count} error(s): nothing was imported.")
        if not dry_run:
            self.stdout.write(self.style.SUCCESS("OK"))
