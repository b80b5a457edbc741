"""What the export commands share: school year and school lookups, and writing the file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.csv_export import Export, export_write

from ..exports import school_year_current
from ..models import School, SchoolYear


class ExportCommand(BaseCommand):
    def add_output_argument(self, parser) -> None:
        parser.add_argument(
            "--output",
            "-o",
            help="The file to write (default: the export's own name, in the current folder). '-' writes to stdout.",
        )

    def year(self, name: str | None) -> SchoolYear:
        if name:
            year = SchoolYear.objects.filter(name=name.strip()).first()
            if year is None:
                known = ", ".join(SchoolYear.objects.values_list("name", flat=True)) or "none"
                raise CommandError(f"Unknown school year {name!r} (known: {known}).")
            return year
        year = school_year_current()
        if year is None:
            raise CommandError("No school year is configured.")
        return year

    def school_ids(self, codes: list[str] | None) -> list[int]:
        if not codes:
            return list(School.objects.order_by("name").values_list("pk", flat=True))
        wanted = [code.strip().upper() for code in codes]
        found = dict(School.objects.filter(ministry_code__in=wanted).values_list("ministry_code", "pk"))
        missing = [code for code in wanted if code not in found]
        if missing:
            raise CommandError(f"Unknown school code(s): {', '.join(missing)}.")
        return [found[code] for code in wanted]

    def write(self, export: Export, output: str | None) -> None:
        filename, _content_type, chunks = export
        if output == "-":
            for chunk in chunks:
                self.stdout.write(chunk.decode("utf-8"), ending="")
            return
        path = Path(output or filename)
        if path.parent and not path.parent.exists():
            raise CommandError(f"Folder not found: {path.parent}")
        size = export_write(export, path)
        self.stdout.write(self.style.SUCCESS(f"Written {path} ({size} bytes)."))
