"""The cross-family walk: signed in as family B, every family URL with family A's ids is a 404.

Every route of the accounts namespace that takes arguments must have an entry in FAMILY_A_KWARGS,
or this test fails: no new route escapes the walk.
"""

import datetime

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import Guardianship
from tests.conftest import make_user
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


def _a_invitation(a):
    return services.invitation_create(
        inviter=a["parent"],
        children=[a["child"]],
        email="paolo.verdi@example.it",
        codice_fiscale="VRDPLA80D10H501X",
        base_url="http://testserver/",
    )


def _a_delegation(a):
    delegate = make_user(codice_fiscale="VRDPLA80D10H501X", email="paolo.verdi@example.it")
    services.invitation_accept(user=delegate, token=_a_invitation(a).token)
    return Guardianship.objects.get(adult=delegate)


# route name → the kwargs that point at family A's objects
FAMILY_A_KWARGS = {
    "accounts:child_detail": lambda a: {"pk": a["child"].pk},
    "accounts:invite": lambda a: {"pk": a["child"].pk},
    "accounts:invitation_accept": lambda a: {"token": _a_invitation(a).token},
    "accounts:invitation_revoke": lambda a: {"pk": _a_invitation(a).pk},
    "accounts:invitation_decline": lambda a: {"pk": _a_invitation(a).pk},
    "accounts:delegate_revoke": lambda a: {"pk": _a_delegation(a).pk},
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
