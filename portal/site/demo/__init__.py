"""Demo data for the whole site (embedded default, screenshots, the benchmark): idempotent, printed credentials.

`people` (accounts: documents, the office user, two parents, their children, an imported family) and `schools`
(enrollment: school years, services, tariffs, routes, and last year's enrollments of the demo children, whose
transport fee notices payments issues), `canteen` (calendars, a school year of meals and top-ups so
far) and `school_fees` (the Rodari school as a creditor of its own, its secretary, a trip for two classes).
It reads every app, so it lives in portal.site, the top layer.
"""

from django.db import transaction

from accounts import services as account_services

from .canteen import canteen_seed
from .people import DEMO_PARENTS, DEMO_PASSWORD, DEMO_SECRETARY, DEMO_STAFF, DemoPerson, people_seed
from .school_fees import school_fees_seed
from .schools import enrollments_seed, schools_seed

__all__ = ["DEMO_PASSWORD", "DemoPerson", "seed_demo"]


@transaction.atomic
def seed_demo() -> list[DemoPerson]:
    """Load (or complete) the demo data; the people who can sign in."""
    users = people_seed()
    setup = schools_seed()
    enrollments_seed(staff=users[DEMO_STAFF.codice_fiscale], setup=setup)
    canteen_seed(setup=setup)
    school_fees_seed(secretary=users[DEMO_SECRETARY.codice_fiscale], setup=setup)
    account_services.legal_documents_cache_clear()
    return [DEMO_STAFF, DEMO_SECRETARY, *DEMO_PARENTS]
