"""The service provider's metadata as AgID's SPID rules ask (Regole tecniche, and notice no. 29 v3 for the contact
extensions), signed with the SP's key:

- `EntityDescriptor` with the entity ID; no list of supported algorithms (pysaml2 would add MD5 and SHA-1).
- `SPSSODescriptor`: `AuthnRequestsSigned` and `WantAssertionsSigned` true, the signing key, the single logout
  service (HTTP-POST), `NameIDFormat` transient, the assertion consumer service (HTTP-POST) at index 0 and default,
  one `AttributeConsumingService` at index 0 (the index the AuthnRequest names) with its `ServiceName` in Italian
  asking for fiscalNumber, name, familyName, email and nothing else.
- `Organization` (name, display name, URL, in Italian) and a `ContactPerson contactType="other"` whose
  `Extensions` carry `spid:IPACode` and `spid:Public` (a public administration), then the e-mail (and telephone).
"""

import functools

from saml2 import ExtensionElement, md
from saml2.metadata import entity_descriptor, sign_entity_descriptor
from saml2.sigver import security_context
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from . import conf
from .saml import acs_url, slo_url, sp_config

SPID_NS = "https://spid.gov.it/saml-extensions"
CIE_NS = "https://www.cartaidentita.interno.gov.it/saml-extensions"
ACS_INDEX = "0"
ATTRIBUTE_SERVICE_INDEX = "0"


def _spid_element(tag: str, text: str | None = None) -> ExtensionElement:
    return ExtensionElement(tag, namespace=SPID_NS, text=text)


def _organization(info: dict[str, str]) -> md.Organization:
    return md.Organization(
        organization_name=[md.OrganizationName(text=info["name"], lang="it")],
        organization_display_name=[md.OrganizationDisplayName(text=info["name"], lang="it")],
        organization_url=[md.OrganizationURL(text=info["url"], lang="it")],
    )


def _cie_contact(info: dict[str, str]) -> md.ContactPerson:
    """CIE's ContactPerson (the Ministry's SP metadata rules): administrative, `cie:Public`, `cie:IPACode`,
    `cie:Municipality`, then `Company` and the e-mail."""
    elements = [
        ExtensionElement("Public", namespace=CIE_NS),
        ExtensionElement("IPACode", namespace=CIE_NS, text=info["ipa_code"]),
        ExtensionElement("Municipality", namespace=CIE_NS, text=info["municipality"]),
    ]
    contact = md.ContactPerson(
        contact_type="administrative",
        extensions=md.Extensions(extension_elements=elements),
        company=md.Company(text=info["name"]),
        email_address=[md.EmailAddress(text=info["email"])],
    )
    if info["phone"]:
        contact.telephone_number = [md.TelephoneNumber(text=info["phone"])]
    return contact


def _contact(info: dict[str, str]) -> md.ContactPerson:
    extensions = md.Extensions(
        extension_elements=[_spid_element("IPACode", info["ipa_code"]), _spid_element("Public")]
    )
    contact = md.ContactPerson(
        contact_type="other",
        extensions=extensions,
        email_address=[md.EmailAddress(text=info["email"])],
    )
    if info["phone"]:
        contact.telephone_number = [md.TelephoneNumber(text=info["phone"])]
    return contact


def sp_descriptor(kind: str = "spid") -> md.EntityDescriptor:
    """The unsigned EntityDescriptor (pysaml2 builds it from the configuration; SPID's details set here). For CIE
    (`kind="cie"`, uploaded to the Ministry's federation portal) CIE ID's attributes and contact."""
    config = sp_config(with_idps=False)
    descriptor = entity_descriptor(config)
    descriptor.extensions = None
    sp = descriptor.spsso_descriptor
    sp.extensions = None
    for acs in sp.assertion_consumer_service:
        acs.index, acs.is_default = ACS_INDEX, "true"
    for service in sp.attribute_consuming_service:
        service.index = ATTRIBUTE_SERVICE_INDEX
        service.service_name = [md.ServiceName(text=config.name, lang="it")]
        service.service_description = []
        if kind == "cie":
            service.requested_attribute = [md.RequestedAttribute(name=name) for name in conf.CIE_ATTRIBUTES]
        for attribute in service.requested_attribute:
            attribute.name_format = None
            attribute.is_required = None
    info = conf.organization()
    descriptor.organization = _organization(info)
    descriptor.contact_person = [_cie_contact(info) if kind == "cie" else _contact(info)]
    return descriptor


def sp_metadata_xml(kind: str = "spid") -> str:
    """The SP's metadata for SPID or CIE, signed (RSA-SHA256, SHA-256 digest); made once per entity ID, addresses,
    key and certificate (a new certificate makes new metadata)."""
    cert = conf.cert_file()
    stamp = cert.stat().st_mtime_ns if cert.exists() else 0
    info = tuple(conf.organization().items())
    return _signed(kind, conf.entity_id(), acs_url(), slo_url(), str(conf.key_file()), str(cert), stamp, info)


@functools.lru_cache(maxsize=16)
def _signed(kind: str, entity: str, acs: str, slo: str, key: str, cert: str, stamp: int, info: tuple) -> str:
    config = sp_config(with_idps=False)
    _descriptor, xml = sign_entity_descriptor(
        sp_descriptor(kind), None, security_context(config), sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256
    )
    return str(xml)
