"""`check --deploy` refuses an IO configuration that would not reach IO itself, or serves the fake."""

from portal.io import io_production_settings


def _ids(settings_overrides, settings):
    for name, value in settings_overrides.items():
        setattr(settings, name, value)
    return [warning.id for warning in io_production_settings(None)]


def test_the_fake_and_its_keys_are_refused_in_production(settings):
    ids = _ids({"IO_MOCK_ENABLED": True}, settings)
    assert ids == ["portal.W101", "portal.W102", "portal.W103"]  # the test settings: the fake, its URL and keys


def test_real_keys_on_ios_api_pass(settings):
    services = {kind: {"key": f"key-{kind}"} for kind in ("canteen", "transport", "nursery")}
    overrides = {"IO_MOCK_ENABLED": False, "IO_BASE_URL": "https://api.io.pagopa.it/api/v1", "IO_SERVICES": services}
    assert _ids(overrides, settings) == []


def test_no_keys_means_no_io_and_no_warning(settings):
    services = {kind: {"key": ""} for kind in ("canteen", "transport", "nursery")}
    overrides = {"IO_MOCK_ENABLED": False, "IO_BASE_URL": "http://127.0.0.1/mockio/api/v1", "IO_SERVICES": services}
    assert _ids(overrides, settings) == []
