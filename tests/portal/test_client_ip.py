"""portal.client_ip: one reading of the client address, with trusted proxies from settings (allauth's names)."""

import runpy
from pathlib import Path

import pytest
from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from portal.client_ip import client_ip, ip_address_clean

PROXY = "10.0.0.2"
CLIENT = "198.51.100.7"
FORGED = "203.0.113.99"


def request(remote_addr: str = PROXY, **headers):
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, headers=headers)


@pytest.fixture
def proxies(settings):
    def _proxies(count: int = 0, header: str | None = None):
        settings.ALLAUTH_TRUSTED_PROXY_COUNT = count
        settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = header

    _proxies()
    return _proxies


def settings_module(monkeypatch, **env) -> dict:
    """portal/settings.py run afresh with these environment variables."""
    for name in ("DJANGO_TRUSTED_PROXY_COUNT", "DJANGO_TRUSTED_CLIENT_IP_HEADER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(Path(__file__).resolve().parents[2] / "portal" / "settings.py"))


def test_settings_trust_no_proxy_unless_the_environment_says(monkeypatch):
    default = settings_module(monkeypatch)
    assert (default["ALLAUTH_TRUSTED_PROXY_COUNT"], default["ALLAUTH_TRUSTED_CLIENT_IP_HEADER"]) == (0, None)
    configured = settings_module(
        monkeypatch, DJANGO_TRUSTED_PROXY_COUNT="1", DJANGO_TRUSTED_CLIENT_IP_HEADER="X-Real-IP"
    )
    assert (configured["ALLAUTH_TRUSTED_PROXY_COUNT"], configured["ALLAUTH_TRUSTED_CLIENT_IP_HEADER"]) == (
        1,
        "X-Real-IP",
    )


def test_direct_the_forwarded_header_is_ignored(proxies):
    assert client_ip(request(CLIENT)) == CLIENT
    assert client_ip(request(CLIENT, x_forwarded_for=FORGED)) == CLIENT
    assert client_ip(request(CLIENT, x_real_ip=FORGED)) == CLIENT


def test_behind_one_proxy_the_last_entry_is_the_client_and_forged_ones_are_ignored(proxies):
    proxies(1)
    assert client_ip(request(x_forwarded_for=CLIENT)) == CLIENT
    # The client wrote FORGED itself; the proxy appended the address it saw.
    assert client_ip(request(x_forwarded_for=f"{FORGED}, {CLIENT}")) == CLIENT
    assert client_ip(request(x_forwarded_for=f"{FORGED},{CLIENT}")) == CLIENT


def test_behind_two_proxies_the_second_entry_from_the_right_is_the_client(proxies):
    proxies(2)
    assert client_ip(request(x_forwarded_for=f"{FORGED}, {CLIENT}, 10.0.0.1")) == CLIENT
    assert client_ip(request(x_forwarded_for=f"{CLIENT}, 10.0.0.1")) == CLIENT


@pytest.mark.parametrize("header", [None, "", "not-an-ip", f"{CLIENT}, garbage", "1.2.3.4.5", "x" * 10_000, " , "])
def test_a_missing_malformed_or_short_header_falls_back_to_the_remote_address(proxies, header):
    proxies(1)
    headers = {} if header is None else {"x_forwarded_for": header}
    assert client_ip(request(**headers)) == PROXY


def test_fewer_entries_than_trusted_proxies_falls_back_to_the_remote_address(proxies):
    proxies(3)
    assert client_ip(request(x_forwarded_for=f"{FORGED}, {CLIENT}")) == PROXY


def test_a_configured_header_is_read_instead_of_the_forwarded_chain(proxies):
    proxies(1, header="X-Real-IP")
    assert client_ip(request(x_real_ip=CLIENT, x_forwarded_for=FORGED)) == CLIENT
    assert client_ip(request(x_forwarded_for=FORGED)) == PROXY  # header missing
    assert client_ip(request(x_real_ip="unknown")) == PROXY  # header malformed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("198.51.100.7", "198.51.100.7"),
        (" 198.51.100.7 ", "198.51.100.7"),
        ("198.51.100.7:51234", "198.51.100.7"),
        ("2001:DB8::0:1", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("evil.example:80", None),
        ("", None),
        (None, None),
    ],
)
def test_addresses_are_validated_and_normalised(value, expected):
    assert ip_address_clean(value) == expected


def test_no_address_at_all_is_none(proxies):
    assert client_ip(request("")) is None


def test_allauth_rate_limits_use_the_same_reading(proxies):
    proxies(1)
    forwarded = request(x_forwarded_for=f"{FORGED}, {CLIENT}")
    assert get_adapter(forwarded).get_client_ip(forwarded) == client_ip(forwarded) == CLIENT
    with pytest.raises(PermissionDenied):
        get_adapter().get_client_ip(request(""))
