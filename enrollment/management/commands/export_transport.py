from django.core.management.base import CommandError

from ...exports import transport_export
from ...models import Route
from ..export_base import ExportCommand


class Command(ExportCommand):
    help = "Write the transport CSV of a school year: accepted enrollments per route and stop, in stop order."

    def add_arguments(self, parser):
        parser.add_argument(
            "--route", action="append", metavar="NAME", help="Route name or id; repeat it. Default: all."
        )
        parser.add_argument("--year", metavar="2026/2027", help="School year. Default: the running or next one.")
        self.add_output_argument(parser)

    def handle(self, *args, route=None, year=None, output=None, **options):
        school_year = self.year(year)
        routes = Route.objects.filter(school_year=school_year)
        if route:
            ids = []
            for wanted in route:
                match = (
                    routes.filter(pk=int(wanted)) if wanted.isdigit() else routes.filter(name__iexact=wanted.strip())
                )
                found = match.values_list("pk", flat=True).first()
                if found is None:
                    raise CommandError(f"No route {wanted!r} in {school_year}.")
                ids.append(found)
        else:
            ids = list(routes.order_by("name").values_list("pk", flat=True))
        self.write(transport_export(route_ids=ids, school_year=school_year), output)
