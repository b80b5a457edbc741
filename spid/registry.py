"""The identity providers from their published metadata: the SPID registry's aggregate (one signed
`EntitiesDescriptor` with every accredited IdP) and CIE ID's own `EntityDescriptor`.

Read strictly: no DTD or entities, the aggregate's `validUntil` not past, its signature checked against AgID's
certificate when `SPID_REGISTRY_CERT_FILE` is set (production does), only entities with an `IDPSSODescriptor`. The
portal's list follows: new IdPs added, known ones updated (metadata, name), those no longer published deactivated —
never all of them: an empty or unreadable document changes nothing.
"""

import base64
import datetime
import logging
from dataclasses import dataclass

import httpx
from cryptography import x509
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from lxml import etree
from saml2.sigver import CryptoBackendXmlSec1

from . import conf
from .models import IdentityProvider

logger = logging.getLogger(__name__)
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FETCH_TIMEOUT = 30.0


class RegistryError(Exception):
    """The document cannot be used (the message says why); the portal's list is left as it was."""


@dataclass(frozen=True)
class RegistryEntry:
    entity_id: str
    name: str
    metadata_xml: str


@dataclass(frozen=True)
class RegistryOutcome:
    added: int
    updated: int
    deactivated: int


def _parse(document: bytes) -> etree._Element:
    if b"<!DOCTYPE" in document or b"<!ENTITY" in document:
        raise RegistryError("the metadata contain a DTD or entities")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False)
    try:
        return etree.fromstring(document, parser=parser)
    except etree.XMLSyntaxError as error:
        raise RegistryError(f"the metadata are not well-formed XML: {error}") from error


def _valid_until_check(root: etree._Element, now: datetime.datetime) -> None:
    valid_until = root.get("validUntil")
    if not valid_until:
        return
    moment = parse_datetime(valid_until.replace("Z", "+00:00"))
    if moment is None:
        raise RegistryError(f"validUntil is not a date: {valid_until}")
    if moment < now:
        raise RegistryError(f"the metadata expired at {valid_until}")


def _signature_check(document: bytes, root: etree._Element, cert_file: str) -> None:
    node = f"{MD}:{etree.QName(root).localname}"
    try:
        verified = CryptoBackendXmlSec1(conf.XMLSEC).validate_signature(
            document.decode(), cert_file, "pem", node, root.get("ID")
        )
    except Exception as error:  # xmlsec1 says no (bad, missing or foreign signature)
        raise RegistryError(f"the metadata signature is not valid: {error}") from error
    if not verified:
        raise RegistryError("the metadata signature is not valid")


def _display_name(entity: etree._Element) -> str:
    names = entity.findall(f"{{{MD}}}Organization/{{{MD}}}OrganizationDisplayName") or entity.findall(
        f"{{{MD}}}Organization/{{{MD}}}OrganizationName"
    )
    italian = [n.text for n in names if n.get(XML_LANG) == "it" and n.text]
    return (italian or [n.text for n in names if n.text] or [entity.get("entityID", "")])[0].strip()[:100]


def registry_entries(
    document: bytes, *, cert_file: str = "", now: datetime.datetime | None = None
) -> list[RegistryEntry]:
    """The IdPs a metadata document publishes (an EntitiesDescriptor or a single EntityDescriptor)."""
    root = _parse(document)
    _valid_until_check(root, now or timezone.now())
    if cert_file:
        _signature_check(document, root, cert_file)
    local = etree.QName(root).localname
    entities = [root] if local == "EntityDescriptor" else root.iter(f"{{{MD}}}EntityDescriptor")
    entries = []
    for entity in entities:
        entity_id = entity.get("entityID") or ""
        if entity.find(f"{{{MD}}}IDPSSODescriptor") is None or not entity_id:
            continue
        xml = etree.tostring(entity, encoding="unicode")
        entries.append(RegistryEntry(entity_id=entity_id, name=_display_name(entity), metadata_xml=xml))
    if not entries:
        raise RegistryError("the metadata publish no identity provider")
    return entries


@transaction.atomic
def identity_providers_apply(*, entries: list[RegistryEntry], kind: str) -> RegistryOutcome:
    """Make the portal's IdPs of `kind` what the registry publishes (the test IdPs are left alone)."""
    now = timezone.now()
    known = {idp.entity_id: idp for idp in IdentityProvider.objects.select_for_update().filter(kind=kind, test=False)}
    added = updated = 0
    for entry in entries:
        idp = known.pop(entry.entity_id, None)
        if idp is None:
            IdentityProvider.objects.update_or_create(
                entity_id=entry.entity_id,
                defaults={"kind": kind, "name": entry.name, "metadata_xml": entry.metadata_xml, "refreshed_at": now},
            )
            added += 1
            continue
        idp.name, idp.metadata_xml, idp.refreshed_at, idp.active = entry.name, entry.metadata_xml, now, True
        idp.save(update_fields=["name", "metadata_xml", "refreshed_at", "active"])
        updated += 1
    deactivated = IdentityProvider.objects.filter(pk__in=[idp.pk for idp in known.values()], active=True).update(
        active=False
    )
    return RegistryOutcome(added=added, updated=updated, deactivated=deactivated)


DS = "http://www.w3.org/2000/09/xmldsig#"
EXPIRY_WARNING = datetime.timedelta(days=30)


def signing_certificate_expiry(metadata_xml: str) -> datetime.datetime | None:
    """When the first signing certificate of an IdP's metadata expires (None: none readable). pysaml2 trusts the
    published certificate whatever its dates: the office is warned instead (admin, nightly log)."""
    try:
        root = _parse(metadata_xml.encode())
    except RegistryError:
        return None
    for descriptor in root.iter(f"{{{MD}}}KeyDescriptor"):
        if descriptor.get("use") not in (None, "signing"):
            continue
        text = descriptor.findtext(f".//{{{DS}}}X509Certificate") or ""
        try:
            der = base64.b64decode("".join(text.split()))
            return x509.load_der_x509_certificate(der).not_valid_after_utc
        except ValueError:
            continue
    return None


def expiring_identity_providers(*, now: datetime.datetime | None = None) -> list[tuple[str, datetime.datetime]]:
    """The active IdPs whose signing certificate has expired or expires within 30 days: (name, expiry)."""
    limit = (now or timezone.now()) + EXPIRY_WARNING
    found = []
    for idp in IdentityProvider.objects.filter(active=True).order_by("name"):
        expiry = signing_certificate_expiry(idp.metadata_xml)
        if expiry is not None and expiry < limit:
            found.append((idp.name, expiry))
    return found


def metadata_fetch(url: str) -> bytes:
    try:
        response = httpx.get(url, timeout=FETCH_TIMEOUT, follow_redirects=False)
        response.raise_for_status()
    except httpx.HTTPError as error:
        raise RegistryError(f"{url} could not be read: {error}") from error
    return response.content


def identity_providers_refresh() -> dict[str, RegistryOutcome]:
    """Read the SPID registry and CIE ID's metadata (where configured) and apply them; each source on its own."""
    sources = {IdentityProvider.Kind.SPID: conf.registry_url(), IdentityProvider.Kind.CIE: conf.cie_metadata_url()}
    cert_files = {IdentityProvider.Kind.SPID: conf.registry_cert_file(), IdentityProvider.Kind.CIE: ""}
    outcomes = {}
    for kind, url in sources.items():
        if not url:
            continue
        try:
            entries = registry_entries(metadata_fetch(url), cert_file=cert_files[kind])
        except RegistryError as error:
            logger.error("Identity providers (%s) not refreshed: %s", kind, error)
            continue
        outcomes[str(kind)] = identity_providers_apply(entries=entries, kind=kind)
    for name, expiry in expiring_identity_providers():
        logger.warning("Identity provider %s: its signing certificate expires (or expired) on %s", name, expiry)
    return outcomes
