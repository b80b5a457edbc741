"""Headers every page carries: Permissions-Policy always, `Cache-Control: private, no-store` when signed in."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from portal.middleware import PrivacyHeadersMiddleware

pytestmark = pytest.mark.django_db


def test_the_family_page_of_a_signed_in_parent_is_never_stored(parent_client):
    response = parent_client.get(reverse("accounts:family"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_the_anonymous_home_page_denies_what_the_portal_does_not_use(client, legal_documents):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    policy = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy
    assert "Cache-Control" not in response  # nothing personal: proxies may keep it


def test_a_view_that_chose_its_cache_control_keeps_it(parent_client, giulia):
    response = parent_client.get(reverse("accounts:privacy_export"))
    assert response["Cache-Control"] == "no-store"
    assert "Permissions-Policy" in response


@pytest.mark.parametrize("signed_in", [True, False])
def test_static_files_are_never_marked_no_store(parent, signed_in):
    request = RequestFactory().get("/static/css/portal.css")
    request.user = parent if signed_in else AnonymousUser()
    response = PrivacyHeadersMiddleware(lambda request: HttpResponse("body{}"))(request)
    assert "Cache-Control" not in response
