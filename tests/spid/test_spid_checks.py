"""`check --deploy` names what a production SPID/CIE service provider must set."""

from spid.checks import spid_production_settings


def _ids() -> list[str]:
    return [warning.id for warning in spid_production_settings(None)]


def test_the_development_defaults_are_refused_in_production(settings):
    assert _ids() == ["spid.W201", "spid.W202", "spid.W203"]


def test_a_configured_comune_passes(settings, tmp_path):
    settings.SPID_IPA_CODE = "c_h501"
    settings.SPID_MUNICIPALITY_CODE = "H501"
    settings.SPID_KEY_FILE = str(tmp_path / "sp.key")
    settings.SPID_CERT_FILE = str(tmp_path / "sp.crt")
    settings.SPID_REGISTRY_CERT_FILE = str(tmp_path / "agid.crt")
    assert _ids() == []


def test_only_the_missing_part_is_named(settings):
    settings.SPID_IPA_CODE = "c_h501"
    settings.SPID_MUNICIPALITY_CODE = "H501"
    settings.SPID_REGISTRY_CERT_FILE = "/etc/agid.crt"
    assert _ids() == ["spid.W202"]
