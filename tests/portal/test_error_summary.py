"""The error summary of every form (issue 10, item 16): at the top of the form, one link per error to its field; on
the payments page "Da pagare" comes before "Credito" in the page, and the cart's error sits by its checkboxes."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_failed_form_starts_with_a_summary_linking_each_field(parent_client):
    body = parent_client.post(reverse("accounts:child_add"), {"codice_fiscale": "XYZ"}).content.decode()

    summary = body[body.index("data-error-summary") :]
    summary = summary[: summary.index("</div>")]
    assert 'tabindex="-1"' in body[body.index("error-summary") - 200 : body.index("data-error-summary")]
    assert 'href="#id_codice_fiscale"' in summary
    assert 'href="#id_first_name"' in summary
    assert 'href="#id_last_name"' in summary
    assert body.index("data-error-summary") < body.index('id="id_codice_fiscale"')


def test_the_summary_script_is_on_every_page(client):
    assert "js/error-summary" in client.get(reverse("home")).content.decode()


def test_the_signup_form_has_the_summary_too(client, legal_documents):
    body = client.post(reverse("account_signup"), {}).content.decode()
    assert "data-error-summary" in body
    assert re.search(r'href="#id_email"', body)


def test_on_the_payments_page_to_pay_comes_before_the_balance(parent_client):
    body = parent_client.get(reverse("payments:notices")).content.decode()
    assert body.index('id="to-pay"') < body.index('id="balances"')


def test_the_cart_error_is_next_to_the_checkboxes(parent_client, parent, giulia):
    from tests.payments.factories import notice_make

    notice_make(child=giulia, payer=parent)
    body = parent_client.post(reverse("payments:notices"), {}).content.decode()

    legend = body.index("</legend>")
    error = body.index('id="cart-error"')
    first_checkbox = body.index('name="notice"')
    assert legend < error < first_checkbox
    assert "Scegli almeno un avviso" in body[error:first_checkbox]
