"""Production serves hashed static files from whitenoise's manifest: every page must still render."""

import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils.functional import empty


@pytest.fixture(scope="module")
def manifest_storage(tmp_path_factory):
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "portal.storage.PortalStaticFilesStorage"}}
    with override_settings(STATIC_ROOT=str(tmp_path_factory.mktemp("static")), STORAGES=storages):
        staticfiles_storage._wrapped = empty  # built again from the overridden settings
        call_command("collectstatic", interactive=False, verbosity=0)
        yield
    staticfiles_storage._wrapped = empty


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["home", "account_login", "account_signup", "accessibility"])
def test_pages_render_with_hashed_static_files(client, legal_documents, manifest_storage, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    body = response.content.decode()
    assert "/static/css/portal." in body
    assert "/static/css/portal.css" not in body  # the hashed name is used
