"""SPID settings, each overridable in Django's settings or the environment (defaults fit development and tests):
the service provider's entity ID, its key and certificate (generated, self-signed, in var/saml/ when absent and the
test IdP is installed), the SPID level asked (2: ForceAuthn), the attributes asked."""

import os
from pathlib import Path

from django.conf import settings

SPID_LEVELS = {
    1: "https://www.spid.gov.it/SpidL1",
    2: "https://www.spid.gov.it/SpidL2",
    3: "https://www.spid.gov.it/SpidL3",
}
ATTRIBUTES = ("fiscalNumber", "name", "familyName", "email")
XMLSEC = os.environ.get("SPID_XMLSEC_BINARY", "/usr/bin/xmlsec1")


def _get(name: str, default: str) -> str:
    return str(getattr(settings, name, None) or os.environ.get(name) or default)


def base_url() -> str:
    domain = settings.PORTAL_DOMAIN
    scheme = "http" if domain.startswith(("127.", "localhost", "testserver")) or settings.DEBUG else "https"
    return f"{scheme}://{domain}"


def entity_id() -> str:
    return _get("SPID_ENTITY_ID", f"{base_url()}/spid/metadata/")


def key_file() -> Path:
    return Path(_get("SPID_KEY_FILE", str(settings.BASE_DIR / "var" / "saml" / "sp.key")))


def cert_file() -> Path:
    return Path(_get("SPID_CERT_FILE", str(settings.BASE_DIR / "var" / "saml" / "sp.crt")))


def level() -> int:
    return int(_get("SPID_LEVEL", "2"))
