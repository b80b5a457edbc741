"""Tests of the cached family summary (portal.family_cache): the family page and the payments page read it
without queries while it is valid, and every service that changes what they show invalidates it.

- the cache is really used: a row changed behind the services' back is *not* seen until an invalidation, so the
  parametrised test (test_services) would fail for a service that forgot to invalidate;
- `SERVICES_SHOWN`: for each service that changes what a page shows, render (warm cache), call it, render again
  and look for the change;
- every public service of accounts, enrollment and payments is classified here (shown / writes without a visible
  change / writes nothing the pages read): a new one fails `test_every_service_is_classified` until someone
  decides; and tests/family_cache_guard.py (on in every test) fails any service that writes the pages' tables
  without invalidating, which `test_the_guard_catches_a_service_that_forgets` proves;
- cache down: both pages still answer, computed from the database.
"""
