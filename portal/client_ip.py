"""The client's address, read one way everywhere: rate limits (allauth's adapter calls this), consents,
the receipt intake, logs.

Behind reverse proxies REMOTE_ADDR is the nearest proxy's address, and the client's is in a header those
proxies write. Only the proxies the deployment declares are believed, with allauth's own settings (filled from
the environment in settings.py):

- ``ALLAUTH_TRUSTED_CLIENT_IP_HEADER`` (e.g. ``X-Real-IP``): the proxy writes the client address in this header;
- ``ALLAUTH_TRUSTED_PROXY_COUNT`` = N > 0: each of the N proxies appends the address it saw to
  ``X-Forwarded-For``, so the Nth entry from the right is the client as the outermost trusted proxy saw it
  (whatever the client itself put further left is forged and ignored);
- neither (the default, no proxy): ``X-Forwarded-For`` is ignored and REMOTE_ADDR is the client.

A header that is missing, too short or not an IP address falls back to REMOTE_ADDR.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.http.request import split_domain_port

# Longer than any IPv6 address with brackets, port and zone: anything past this is not an address.
MAX_ADDRESS_LENGTH = 100


def ip_address_clean(value: str | None) -> str | None:
    """``value`` as a normalised IP address (port and brackets dropped), or None if it is not one."""
    value = (value or "").strip()
    if not value or len(value) > MAX_ADDRESS_LENGTH:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        host, _port = split_domain_port(value)  # "203.0.113.7:5123", "[2001:db8::1]:443", "[2001:db8::1]"
        try:
            address = ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
        except ValueError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        address = ipaddress.IPv6Address(str(address).split("%", 1)[0])
    return str(address)


def _forwarded(request: HttpRequest) -> str | None:
    header = getattr(settings, "ALLAUTH_TRUSTED_CLIENT_IP_HEADER", None)
    if header:
        return ip_address_clean(request.headers.get(header))
    count = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return None
    hops = request.headers.get("X-Forwarded-For", "").split(",")
    if len(hops) < count:
        return None
    return ip_address_clean(hops[-count])


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as the outermost trusted proxy saw it, else REMOTE_ADDR; None if neither is an IP."""
    return _forwarded(request) or ip_address_clean(request.META.get("REMOTE_ADDR"))
