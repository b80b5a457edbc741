"""Ids past PostgreSQL's range, in the address or in a form, answer 404 or a form error on the page, never a 500."""

import pytest
from django.urls import Resolver404, resolve, reverse

from payments.models import Cart

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # 20 digits: past bigint (2**63 - 1 has 19)


@pytest.fixture
def raising_client(parent_client):
    parent_client.raise_request_exception = True  # a 500 would fail the test with its traceback
    return parent_client


ID_PATHS = [
    "/iscrizioni/{}/",
    "/iscrizioni/{}/inviata/",
    "/iscrizioni/{}/ricevuta.pdf",
    "/iscrizioni/{}/ritira/",
    "/iscrizioni/{}/bambino/",
    "/iscrizioni/scuole/{}/iscritti.csv",
    "/pagamenti/avvisi/{}/",
    "/pagamenti/avvisi/{}/avviso.pdf",
    "/pagamenti/ricevute/{}/ricevuta.pdf",
    "/pagamenti/saldo/{}/",
    "/famiglia/figli/{}/",
    "/famiglia/figli/{}/invita/",
    "/famiglia/inviti/{}/revoca/",
    "/famiglia/deleghe/{}/revoca/",
]


@pytest.mark.parametrize("path", ID_PATHS)
def test_an_id_too_long_for_the_database_matches_no_address(path):
    resolve(path.format("123456789012345678"))  # 18 digits: still an id
    with pytest.raises(Resolver404):
        resolve(path.format(HUGE))


@pytest.mark.parametrize("path", ID_PATHS)
def test_a_huge_id_in_the_address_is_a_404(raising_client, giulia, path):
    assert raising_client.get(path.format(HUGE)).status_code == 404
    assert raising_client.post(path.format(HUGE)).status_code == 404


def test_the_enrollment_page_with_a_huge_id_is_a_404(raising_client, giulia):
    assert raising_client.get(f"/iscrizioni/{HUGE}/").status_code == 404


def test_notices_cart_with_a_huge_id_says_so_on_the_page(raising_client, giulia):
    response = raising_client.post(reverse("payments:notices"), {"notice": [HUGE]})
    assert response.status_code == 200
    assert "Selezione non valida: ricarica la pagina e riprova." in response.content.decode()
    assert not Cart.objects.exists()


def test_invite_with_a_huge_child_id_is_a_form_error(raising_client, giulia):
    url = reverse("accounts:invite", kwargs={"pk": giulia.pk})
    data = {"email": "paolo.verdi@example.it", "codice_fiscale": "VRDPLA80D10H501X", "children": [HUGE]}
    response = raising_client.post(url, data)
    assert response.status_code == 200
    assert "non è tra quelle disponibili" in response.content.decode()


def test_topup_with_a_huge_child_id_is_a_form_error(raising_client, giulia):
    data = {"child": HUGE, "service_kind": "canteen", "amount": "10", "action": "shop"}
    response = raising_client.post(reverse("payments:topup"), data)
    assert response.status_code == 200
    assert "Scegli uno dei tuoi figli." in response.content.decode()
