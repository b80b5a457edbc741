"""What SPID asks of a Response beyond SAML (AgID's Regole tecniche, the checks of the SPID SP test suite
italia/spid-sp-test), read after pysaml2 has verified the signature, the audience, the time windows and
InResponseTo. pysaml2 lets these through; SPID requires each:

- the Response's `Destination` is our assertion consumer service; its `Issuer`, if it has a `Format`, is `entity`;
- the Assertion's `Version` is 2.0, its `IssueInstant` not before our request nor in the future;
- its `Issuer` has `Format` `entity`;
- its `NameID` is present, transient, with a `NameQualifier`;
- `SubjectConfirmationData` names our ACS as `Recipient` and has a `NotOnOrAfter`;
- `Conditions` is present with `NotBefore` and `NotOnOrAfter`, and one `Audience`: our entity ID (pysaml2 accepts an
  assertion with no AudienceRestriction at all).
"""

import datetime
from typing import cast

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from lxml import etree

NS = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion"}
ENTITY = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
SKEW = datetime.timedelta(seconds=60)


class ProfileError(Exception):
    """str() names, in Italian, the part of the response that breaks SPID's rules."""


def _all(node: etree._Element, path: str) -> list[etree._Element]:
    return cast(list[etree._Element], node.xpath(path, namespaces=NS))


def _first(node: etree._Element, path: str) -> etree._Element | None:
    found = _all(node, path)
    return found[0] if found else None


def _instant(value: str | None) -> datetime.datetime | None:
    try:
        return parse_datetime((value or "").replace("Z", "+00:00"))
    except ValueError:
        return None


def _response_checks(response: etree._Element, acs_url: str) -> None:
    if response.get("Destination") != acs_url:
        raise ProfileError(_("destinatario (Destination) mancante o errato"))
    issuer = _first(response, "saml:Issuer")
    if issuer is not None and issuer.get("Format") not in (None, ENTITY):
        raise ProfileError(_("formato dell'emittente (Issuer) errato"))


def _assertion_checks(assertion: etree._Element, *, requested_at: datetime.datetime, now: datetime.datetime) -> None:
    if assertion.get("Version") != "2.0":
        raise ProfileError(_("versione dell'asserzione errata"))
    issued = _instant(assertion.get("IssueInstant"))
    if issued is None or issued < requested_at - SKEW or issued > now + SKEW:
        raise ProfileError(_("istante di emissione dell'asserzione fuori dai limiti"))
    issuer = _first(assertion, "saml:Issuer")
    if issuer is None or issuer.get("Format") != ENTITY:
        raise ProfileError(_("formato dell'emittente dell'asserzione errato"))


def _subject_checks(assertion: etree._Element, acs_url: str) -> None:
    name_id = _first(assertion, "saml:Subject/saml:NameID")
    if name_id is None or not (name_id.text or "").strip():
        raise ProfileError(_("identificativo (NameID) mancante"))
    if name_id.get("Format") != TRANSIENT or not name_id.get("NameQualifier"):
        raise ProfileError(_("identificativo (NameID) non conforme"))
    data = _first(assertion, "saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData")
    if data is None or data.get("Recipient") != acs_url or not data.get("NotOnOrAfter"):
        raise ProfileError(_("conferma del soggetto (SubjectConfirmationData) non conforme"))


def _conditions_checks(assertion: etree._Element, entity_id: str) -> None:
    conditions = _first(assertion, "saml:Conditions")
    if conditions is None or not conditions.get("NotBefore") or not conditions.get("NotOnOrAfter"):
        raise ProfileError(_("condizioni (Conditions) mancanti o incomplete"))
    audiences = [a.text for a in _all(conditions, "saml:AudienceRestriction/saml:Audience")]
    if audiences != [entity_id]:  # pysaml2 lets a response without any AudienceRestriction through
        raise ProfileError(_("destinatario dell'asserzione (Audience) mancante o errato"))


def spid_profile_check(
    document: bytes, *, acs_url: str, entity_id: str, requested_at: datetime.datetime, now: datetime.datetime
) -> None:
    """Raise `ProfileError` where the (already verified) Response breaks a SPID rule listed above."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        response = etree.fromstring(document, parser=parser)
    except etree.XMLSyntaxError as error:
        raise ProfileError(_("XML non leggibile")) from error
    _response_checks(response, acs_url)
    assertion = _first(response, "saml:Assertion")
    if assertion is None:
        raise ProfileError(_("asserzione mancante"))
    _assertion_checks(assertion, requested_at=requested_at, now=now)
    _subject_checks(assertion, acs_url)
    _conditions_checks(assertion, entity_id)
