"""The page speaks the visitor's language through and through (issue 10, item 6): the privacy center's deletion
form in English, the top-up's maximum written as money in the active language."""

import html
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_english_privacy_center_has_an_english_deletion_form(parent_client):
    parent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = html.unescape(parent_client.get(reverse("accounts:privacy_center")).content.decode())
    assert "Reason (optional)" in body
    for italian in ("Motivo (facoltativo)", "Cancella il tuo account", "Chiedi la cancellazione"):
        assert italian not in body


@pytest.mark.parametrize(("language", "expected"), [("it", "Al massimo 500,00 €."), ("en", "At most 500.00 €.")])
def test_the_topup_maximum_is_money_in_the_active_language(parent_client, giulia, settings, language, expected):
    settings.PAYMENTS_TOPUP_MAX = Decimal("500")
    parent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = parent_client.get(reverse("payments:topup"))
    assert response.status_code == 200
    assert expected in html.unescape(response.content.decode()).replace("\u00a0", " ")
