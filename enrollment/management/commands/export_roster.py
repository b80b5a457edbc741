from ...exports import roster_export
from ..export_base import ExportCommand


class Command(ExportCommand):
    help = (
        "Write the roster CSV (accepted enrollments per school and class, with the services) of a school year: "
        "';' separated, UTF-8 with BOM."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--school", action="append", metavar="CODE", help="Ministry code; repeat it. Default: all."
        )
        parser.add_argument("--year", metavar="2026/2027", help="School year. Default: the running or next one.")
        self.add_output_argument(parser)

    def handle(self, *args, school=None, year=None, output=None, **options):
        export = roster_export(school_ids=self.school_ids(school), school_year=self.year(year))
        self.write(export, output)
