from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import User
from accounts.validators import normalize_codice_fiscale
from enrollment.models import HEALTH_PERMISSION

from ...exports import day_parse, kitchen_export
from ..export_base import ExportCommand


class Command(ExportCommand):
    help = (
        "Write the kitchen CSV of one day: meals per school counted by diet (never the medical details). "
        "With --with-names, also who has which special diet: needs --user, a user allowed to see health data; "
        "the listing is recorded as an access to health data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--school", action="append", metavar="CODE", help="Ministry code; repeat it. Default: all."
        )
        parser.add_argument("--date", metavar="DD/MM/YYYY", help="The day (or YYYY-MM-DD). Default: today.")
        parser.add_argument("--with-names", action="store_true", help="List the children with a special diet.")
        parser.add_argument("--user", metavar="CF", help="Codice fiscale of who asks for the names (recorded).")
        self.add_output_argument(parser)

    def handle(self, *args, school=None, date=None, with_names=False, user=None, output=None, **options):
        day = day_parse(date) if date else timezone.localdate()
        if day is None:
            raise CommandError(f"Not a date: {date!r} (use DD/MM/YYYY or YYYY-MM-DD).")
        asking = None
        if with_names:
            if not user:
                raise CommandError("--with-names needs --user: the access to health data is recorded.")
            asking = User.objects.filter(codice_fiscale=normalize_codice_fiscale(user), is_active=True).first()
            if asking is None or not asking.has_perm(HEALTH_PERMISSION):
                raise CommandError("That user does not exist or may not see health data.")
        export = kitchen_export(school_ids=self.school_ids(school), day=day, include_names=with_names, user=asking)
        self.write(export, output)
