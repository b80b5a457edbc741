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
CIE_ATTRIBUTES = ("fiscalNumber", "name", "familyName", "dateOfBirth")  # CIE ID has no e-mail
XMLSEC = os.environ.get("SPID_XMLSEC_BINARY", "/usr/bin/xmlsec1")


def _get(name: str, default: str) -> str:
    return str(getattr(settings, name, None) or os.environ.get(name) or default)


def configured(name: str) -> bool:
    """Whether a setting was given (in Django's settings or the environment), not left to its default."""
    return bool(_get(name, ""))


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


def organization() -> dict[str, str]:
    """Who the service provider is, for the metadata's Organization and ContactPerson (AgID's notice no. 29 v3:
    for a public administration, its IPA code and `spid:Public`)."""
    return {
        "name": _get("SPID_ORGANIZATION_NAME", settings.PORTAL_COMUNE_NAME),
        "url": _get("SPID_ORGANIZATION_URL", getattr(settings, "PORTAL_COMUNE_WEBSITE", "") or base_url()),
        "ipa_code": _get("SPID_IPA_CODE", "c_demo"),
        "email": _get("SPID_CONTACT_EMAIL", getattr(settings, "PORTAL_COMUNE_EMAIL", "") or "scuola@example.it"),
        "phone": _get("SPID_CONTACT_PHONE", ""),
        # CIE's ContactPerson names the municipality (its cadastral code, e.g. H501 for Rome); set it in production
        "municipality": _get("SPID_MUNICIPALITY_CODE", "A944"),
    }


def registry_url() -> str:
    """Where the SPID registry publishes the identity providers' metadata (one signed EntitiesDescriptor)."""
    return _get("SPID_REGISTRY_URL", "https://registry.spid.gov.it/metadata/idp/spid-entities-idps.xml")


def cie_metadata_url() -> str:
    """The metadata of CIE ID (Ministry of the Interior); empty: CIE is offered only if registered by hand."""
    return _get("CIE_METADATA_URL", "")


def registry_cert_file() -> str:
    """AgID's certificate for the registry's signature (PEM); empty: the signature is not checked (development)."""
    return _get("SPID_REGISTRY_CERT_FILE", "")
