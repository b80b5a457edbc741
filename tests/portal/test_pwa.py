"""The installable portal over HTTP: manifest, service worker (shell and static files only), offline page, the
sign-out that clears what the browser kept, and links from e-mails and IO that open the right page after login."""

import json

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.payments.factories import notice_make

pytestmark = pytest.mark.django_db


def test_the_manifest_has_what_chromium_asks_to_install(client):
    response = client.get(reverse("manifest"))
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["display"] == "standalone"
    assert data["start_url"] == reverse("accounts:family")
    assert data["lang"] == "it"
    assert data["name"].startswith("Servizi scolastici")
    sizes = {(icon["sizes"], icon["purpose"]) for icon in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in data["icons"]:
        assert finders.find(icon["src"].removeprefix(settings.STATIC_URL)), icon["src"]


def test_the_service_worker_caches_the_shell_only(client):
    response = client.get(reverse("service_worker"))
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    precache = json.loads(body.split("const PRECACHE = ", 1)[1].split(";\n", 1)[0])
    assert reverse("offline") in precache
    assert all(path == reverse("offline") or path.startswith("/static/") for path in precache), precache
    assert 'request.mode === "navigate"' in body  # pages: network, else the offline page


def test_the_offline_page_is_in_italian(client):
    page = client.get(reverse("offline")).content.decode()
    assert "Sei offline" in page
    assert "non vengono salvate sul telefono" in page


def test_signing_out_clears_the_site_data(parent_client):
    response = parent_client.post(reverse("account_logout"))
    assert response["Clear-Site-Data"] == '"cache", "storage"'


def test_a_link_from_a_message_opens_the_notice_after_login(client, parent, giulia):
    notice = notice_make(child=giulia, payer=parent)
    target = reverse("payments:notice_detail", kwargs={"pk": notice.pk})
    answer = client.get(target)
    assert answer.status_code == 302
    login_url = answer["Location"]
    assert login_url.startswith(reverse("account_login"))
    assert f"next={target}" in login_url.replace("%2F", "/")
    signed = client.post(login_url, {"login": parent.codice_fiscale, "password": PASSWORD})
    assert signed.status_code == 302
    assert signed["Location"] == target
