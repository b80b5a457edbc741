"""The family summary is really read from the cache, per adult, never stale after a commit, and the pages work
with the cache down."""

from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.admin.sites import AdminSite
from django.test import RequestFactory

from accounts import services as account_services
from accounts.models import Guardianship
from enrollment.admin.config import ServiceAdmin
from enrollment.models import Service, ServiceKind
from payments import services as payment_services
from payments.models import Balance
from portal import family_cache
from tests.conftest import make_user

from .helpers import PAYMENTS, Status, badge, enrollment, page, topup

pytestmark = pytest.mark.django_db


# --- the cache is used, and a write behind the services' back is not seen ----------------------------------------


def test_a_balance_changed_without_a_service_is_not_seen_until_invalidated(world):
    """Proves the parametrised test can fail: without the invalidation the pages keep what they cached."""
    payment_services.ledger_adjust(
        child=world.child, service_kind=ServiceKind.CANTEEN, amount=Decimal("7.00"), reason="Credito", actor=None
    )
    assert "7,00" in page(world.client)
    assert "7,00" in page(world.client, PAYMENTS)
    Balance.objects.filter(child=world.child).update(amount=Decimal("99.00"))  # no service: no invalidation

    assert "99,00" not in page(world.client)
    assert "99,00" not in page(world.client, PAYMENTS)
    account_services.family_summary_invalidate(child_ids=[world.child.pk])
    assert "99,00" in page(world.client)
    assert "99,00" in page(world.client, PAYMENTS)


def test_warm_family_page_reads_no_summary_table(world, django_assert_num_queries):
    enrollment(world, Status.SUBMITTED)
    topup(world)
    page(world.client)
    with django_assert_num_queries(1) as captured:  # the user (the session is in the cache)
        page(world.client)
    assert all("accounts_user" in query["sql"] for query in captured.captured_queries)


def test_warm_payments_page_reads_no_summary_table(world, django_assert_num_queries):
    topup(world)
    page(world.client, PAYMENTS)
    with django_assert_num_queries(1):
        page(world.client, PAYMENTS)


def test_an_invalidation_reaches_every_adult_of_the_child_and_no_other_family(world):
    Guardianship.objects.create(adult=world.other, child=world.child, role=Guardianship.Role.DELEGATE)
    third = make_user(codice_fiscale="VRDPLA80D10H501X", email="paolo@example.it")

    def tokens():
        return {
            user.pk: family_cache.cache.get(family_cache.version_key(user.pk))
            for user in (world.parent, world.other, third)
        }

    for user in (world.parent, world.other, third):
        family_cache.family_cached(user_id=user.pk, part="probe", compute=lambda: 1)
    before = tokens()

    account_services.family_summary_invalidate(child_ids=[world.child.pk])

    after = tokens()
    assert after[world.parent.pk] != before[world.parent.pk]
    assert after[world.other.pk] != before[world.other.pk]
    assert after[third.pk] == before[third.pk]


def test_a_summary_computed_before_a_commit_is_never_served_after_it(world):
    """A page that read the database before a write committed, and stores after the write's bump, stores under
    the token it read first: the next page does not take it."""
    calls = []

    def stale_compute():
        calls.append("stale")
        # the writer commits and bumps while this page is computing
        family_cache._versions_set(frozenset({world.parent.pk}))
        return "stale"

    assert family_cache.family_cached(user_id=world.parent.pk, part="probe", compute=stale_compute) == "stale"
    assert family_cache.family_cached(user_id=world.parent.pk, part="probe", compute=lambda: "fresh") == "fresh"


def test_the_office_renaming_a_service_reaches_every_family(world):
    enrollment(world, Status.SUBMITTED)
    assert "Mensa scolastica" in page(world.client)
    world.canteen.name = "Refezione scolastica"
    request = RequestFactory().post("/")
    request.user = world.office
    with mock.patch("enrollment.admin.config.family_summary_invalidate_all"):  # as if the admin forgot
        ServiceAdmin(Service, AdminSite()).save_model(request, world.canteen, form=None, change=True)
    assert "Refezione scolastica" not in page(world.client)  # the cached summary

    ServiceAdmin(Service, AdminSite()).save_model(request, world.canteen, form=None, change=True)
    assert "Refezione scolastica" in page(world.client)


# --- the cache is down --------------------------------------------------------------------------------------------


class DownCache:
    def __getattr__(self, name):
        def call(*args, **kwargs):
            raise ConnectionError("Redis non risponde (test)")

        return call


def test_with_the_cache_down_both_pages_work_from_the_database(world, django_capture_on_commit_callbacks):
    enrollment(world, Status.SUBMITTED)
    page(world.client)
    with mock.patch.object(family_cache, "cache", DownCache()):
        with django_capture_on_commit_callbacks(execute=True):
            payment_services.ledger_adjust(
                child=world.child, service_kind=ServiceKind.CANTEEN, amount=Decimal("7.00"), reason="X", actor=None
            )
            topup(world)
        family = page(world.client)
        payments = page(world.client, PAYMENTS)
    assert "7,00" in family
    assert badge("inviata") in family
    assert "Hai 1 avviso da pagare" in family
    assert "20,00" in payments
