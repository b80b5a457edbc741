"""Imported families: the activation page and the family page callout."""

from django.urls import reverse

from accounts import services
from accounts.models import Child, Guardianship

from .conftest import (
    claim_with_a_new_letter,
)

# --- pages ------------------------------------------------------------------------------------


def test_activation_page_needs_login(client):
    url = reverse("accounts:activate")
    assert url == "/famiglia/attiva/"
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_family_page_shows_the_callout_only_while_a_family_waits(parent_client, rossi, parent, staff):
    body = parent_client.get(reverse("accounts:family")).content.decode()
    assert reverse("accounts:activate") in body
    assert "Giulia" not in body  # the children are shown only after the code

    claim_with_a_new_letter(rossi, parent, staff)
    body = parent_client.get(reverse("accounts:family")).content.decode()
    assert reverse("accounts:activate") not in body
    assert "Giulia Rossi" in body


def test_activation_page_links_the_children(parent_client, rossi, staff):
    code = services.activation_letter_issue(imported_adult=rossi, actor=staff)
    assert parent_client.get(reverse("accounts:activate")).status_code == 200

    response = parent_client.post(reverse("accounts:activate"), {"code": code.lower().replace("-", " ")}, follow=True)

    assert response.redirect_chain == [(reverse("accounts:family"), 302)]
    body = response.content.decode()
    assert "Fatto: Luca e Giulia ora fanno parte della tua famiglia" in body
    assert "Giulia Rossi" in body
    assert "Luca Rossi" in body


def test_activation_page_wrong_code_keeps_the_input(parent_client, rossi, staff):
    services.activation_letter_issue(imported_adult=rossi, actor=staff)
    response = parent_client.post(reverse("accounts:activate"), {"code": "abcd-efgh-jkmn"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Il codice non è valido" in body
    assert 'value="abcd-efgh-jkmn"' in body
    assert 'aria-invalid="true"' in body
    assert not Guardianship.objects.exists()


def test_activation_page_explains_a_malformed_code_without_counting_it(parent_client, parent, rossi, staff):
    code = services.activation_letter_issue(imported_adult=rossi, actor=staff)
    for typed in ("ABCD-EFGH", "ABCD-EFGH-JKM0"):
        for _ in range(services.MAX_FAILED_ATTEMPTS):
            response = parent_client.post(reverse("accounts:activate"), {"code": typed})
            assert response.status_code == 200
    body = response.content.decode()
    assert "non ci sono 0, 1, I, L e O" in body
    assert services.imported_family_claim(user=parent, code=code)  # no attempt was counted


def test_activation_page_says_to_try_later_after_five_wrong_codes(parent_client, rossi, staff):
    code = services.activation_letter_issue(imported_adult=rossi, actor=staff)
    for _ in range(services.MAX_FAILED_ATTEMPTS):
        parent_client.post(reverse("accounts:activate"), {"code": "ABCD-EFGH-JKMN"})
    response = parent_client.post(reverse("accounts:activate"), {"code": code})
    assert response.status_code == 200
    assert "riprova tra un&#x27;ora" in response.content.decode()
    assert not Guardianship.objects.exists()


def test_activation_page_without_a_family_to_link(parent_client):
    response = parent_client.get(reverse("accounts:activate"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Non ci sono figli da collegare" in body
    assert '<form method="post" novalidate' not in body
    assert parent_client.post(reverse("accounts:activate"), {"code": "ABCD-EFGH-JKMN"}).status_code == 200


def test_activation_page_reports_a_child_with_another_reference(parent_client, rossi, other_parent, staff):
    code = services.activation_letter_issue(imported_adult=rossi, actor=staff)
    giulia = Child.objects.get(first_name="Giulia")
    Guardianship.objects.create(adult=other_parent, child=giulia, role="reference", granted_by=staff)

    body = parent_client.post(reverse("accounts:activate"), {"code": code}, follow=True).content.decode()

    assert "Fatto: Luca ora fa parte della tua famiglia" in body
    assert "Per Giulia Rossi risulta già un altro adulto di riferimento" in body
