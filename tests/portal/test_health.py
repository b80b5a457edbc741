from unittest import mock

import pytest
from django.urls import reverse

from portal import health

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client, settings):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    data = response.json()
    assert data["database"] == "ok"
    assert data["broker"] == "eager"
    assert data["status"] == "ok"


def test_healthz_checks_the_real_broker_when_not_eager(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    if not settings.USING_SERVICES:
        pytest.skip("needs Redis (runs in CI)")
    assert client.get(reverse("healthz")).json()["broker"] == "ok"


def test_healthz_broker_down_is_degraded_not_down(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "broker": "error"}


def test_healthz_database_down_is_503(client):
    with mock.patch.object(health, "database_status", return_value="error"):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["status"] == "error"
