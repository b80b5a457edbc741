"""Demo data for the whole site (embedded default, screenshots, the benchmark): idempotent, printed credentials.

`people` (accounts: documents, the office user, two parents, their children, an imported family) and `schools`
(enrollment: school years, services, tariffs, routes, and last year's enrollments of the demo children, whose
transport fee notices payments issues), `canteen` (calendars, a school year of meals and top-ups so
far) and `school_fees` (the Rodari school as a creditor of its own, its secretary, a trip for two classes).
It reads every app, so it lives in portal.site, the top layer.
"""

from django.apps import apps
from django.core.management import call_command
from django.db import transaction

from accounts import services as account_services

from .canteen import canteen_seed
from .people import DEMO_PARENTS, DEMO_PASSWORD, DEMO_SECRETARY, DEMO_STAFF, DemoPerson, people_seed
from .school_fees import school_fees_seed
from .schools import enrollments_seed, schools_seed

__all__ = ["DEMO_PASSWORD", "DemoPerson", "seed_demo"]


def _io_profiles(codes: list[str]) -> None:
    """The demo parents are on the fake IO (when it is installed): their inbox shows the Comune's messages."""
    if apps.is_installed("mockio"):
        profile = apps.get_model("mockio", "Profile")
        for code in codes:
            profile.objects.get_or_create(fiscal_code=code)


@transaction.atomic
def seed_demo() -> list[DemoPerson]:
    """Load (or complete) the demo data; the people who can sign in."""
    users = people_seed()
    _io_profiles([person.codice_fiscale for person in DEMO_PARENTS])
    if apps.is_installed("spididp"):  # "Entra con SPID" → the test IdP, as one of the demo citizens
        call_command("spid_test_idp_register", verbosity=0)
    setup = schools_seed()
    enrollments_seed(staff=users[DEMO_STAFF.codice_fiscale], setup=setup)
    canteen_seed(setup=setup)
    school_fees_seed(secretary=users[DEMO_SECRETARY.codice_fiscale], setup=setup)
    account_services.legal_documents_cache_clear()
    return [DEMO_STAFF, DEMO_SECRETARY, *DEMO_PARENTS]
