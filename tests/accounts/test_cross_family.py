"""The cross-family walk: signed in as family B, every family URL with family A's ids is a 404.

Every route of the accounts namespace that takes arguments must have an entry in FAMILY_A_KWARGS,
or this test fails: no new route escapes the walk.
"""

import datetime

import pytest
from django.urls import reverse

from accounts import services
from tests.portal.test_url_walk import ROUTES


@pytest.fixture
def family_a(parent):
    child = services.child_add(
        adult=parent,
        codice_fiscale="RSSGLI18C52H501V",
        first_name="Giulia",
        last_name="Rossi",
        birth_date=datetime.date(2018, 3, 12),
        sex="F",
    )
    return {"child": child, "parent": parent}


# route name → the kwargs that point at family A's objects
FAMILY_A_KWARGS = {
    "accounts:child_detail": lambda a: {"pk": a["child"].pk},
}

FAMILY_ROUTES = [(name, args) for name, args in ROUTES if name.startswith("accounts:") and args]


def test_every_family_route_with_arguments_is_walked():
    missing = [name for name, _ in FAMILY_ROUTES if name not in FAMILY_A_KWARGS]
    assert not missing, f"Add these routes to FAMILY_A_KWARGS: {missing}"


@pytest.mark.parametrize("name", sorted(FAMILY_A_KWARGS))
def test_family_b_gets_404_on_family_a_urls(client, family_a, other_parent, name):
    client.force_login(other_parent)
    url = reverse(name, kwargs=FAMILY_A_KWARGS[name](family_a))
    statuses = {client.get(url).status_code, client.post(url).status_code}
    # The method the route serves answers 404; the other one is 405 whatever the id (reveals nothing).
    assert 404 in statuses
    assert statuses <= {404, 405}
