"""With Redis down the portal works from the database (portal/cache.py): signed-in pages, a password sign-in
(allauth's rate limit takes its cache lock as if Redis answered), never a 500; the outage is logged."""

import logging
from unittest import mock

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import override_settings
from django.urls import reverse
from redis.exceptions import ResponseError

from portal.cache import FailSoftRedisCache
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

DOWN = {
    "default": {"BACKEND": "portal.cache.FailSoftRedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
    "fragments": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "down-fragments"},
}


def test_signed_in_pages_and_the_sign_in_work_with_redis_down(client, parent, caplog):
    client.force_login(parent)
    with override_settings(CACHES=DOWN), caplog.at_level(logging.WARNING, logger="portal.cache"):
        for name in ("accounts:family", "payments:notices", "enrollment:list", "accounts:profile_edit"):
            assert client.get(reverse(name)).status_code == 200, name
        client.logout()
        signed_in = client.post(reverse("account_login"), {"login": parent.codice_fiscale, "password": PASSWORD})
        assert signed_in.status_code == 302
        assert client.get(reverse("accounts:family")).status_code == 200
    assert "Cache unreachable" in caplog.text


def test_each_operation_answers_as_an_empty_cache():
    with override_settings(CACHES=DOWN):
        cache = caches["default"]
        assert isinstance(cache, FailSoftRedisCache)
        assert cache.get("k", "default") == "default"
        assert cache.add("k", 1) is True  # a lock or a counter's first step goes on
        assert cache.incr("k", 3) == 3  # counters fail open
        assert cache.get_many(["a", "b"]) == {}
        assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
        assert cache.has_key("k") is False
        assert cache.set("k", 1) is None
        assert cache.delete("k") is False
        assert cache.touch("k") is False
        cache.delete_many(["a"])
        cache.clear()


def test_other_errors_are_not_hidden():
    """Only an unreachable Redis is softened: a command Redis refuses still fails loudly."""
    refused = mock.patch.object(RedisCache, "get", side_effect=ResponseError("WRONGTYPE"))
    with override_settings(CACHES=DOWN), refused, pytest.raises(ResponseError):
        caches["default"].get("k")
