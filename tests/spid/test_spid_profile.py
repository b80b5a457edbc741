"""The SPID rules pysaml2 does not check (spid/profile.py): a correct response of the test IdP passes; each of the
cases the SPID SP test suite (italia/spid-sp-test) found accepted before — one part changed at a time — is refused.
Signatures are not the point here (checked before, by pysaml2): the document is edited after signing."""

import base64
import datetime

import pytest
from django.utils import timezone
from lxml import etree

from spid import conf
from spid.models import SpidRequest
from spid.profile import NS, ProfileError, spid_profile_check
from spid.saml import acs_url
from tests.spid.conftest import idp_answer

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_response(client, idp) -> bytes:
    return base64.b64decode(idp_answer(client, idp))


def _check(document: bytes) -> None:
    requested_at = SpidRequest.objects.get().created_at
    spid_profile_check(
        document, acs_url=acs_url(), entity_id=conf.entity_id(), requested_at=requested_at, now=timezone.now()
    )


def _edit(document: bytes, path: str, change) -> bytes:
    root = etree.fromstring(document)
    for node in root.xpath(path, namespaces=NS):
        change(node)
    return etree.tostring(root)


def _remove(node) -> None:
    node.getparent().remove(node)


def _set(name: str, value: str | None):
    def change(node) -> None:
        if value is None:
            node.attrib.pop(name, None)
        else:
            node.set(name, value)

    return change


ASSERTION = "saml:Assertion"
SUBJECT_DATA = f"{ASSERTION}/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData"
CASES = {
    "no Destination (19, 20)": (".", _set("Destination", None), "Destination"),
    "Response Issuer of another format (30)": ("saml:Issuer", _set("Format", "urn:x"), "Issuer"),
    "Assertion version 1.0 (35)": (ASSERTION, _set("Version", "1.0"), "versione"),
    "issued before the request (39)": (ASSERTION, _set("IssueInstant", "2000-01-01T12:00:00Z"), "emissione"),
    "issued in the future (40)": (ASSERTION, _set("IssueInstant", "2099-01-01T00:00:00Z"), "emissione"),
    "no NameID (44)": (f"{ASSERTION}/saml:Subject/saml:NameID", _remove, "NameID"),
    "NameID not transient (47)": (
        f"{ASSERTION}/saml:Subject/saml:NameID",
        _set("Format", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"),
        "NameID",
    ),
    "NameID without NameQualifier (49)": (
        f"{ASSERTION}/saml:Subject/saml:NameID",
        _set("NameQualifier", None),
        "NameID",
    ),
    "Recipient not our ACS (59)": (SUBJECT_DATA, _set("Recipient", "https://altro.example.it/acs"), "Subject"),
    "no NotOnOrAfter in SubjectConfirmationData (64)": (SUBJECT_DATA, _set("NotOnOrAfter", None), "Subject"),
    "Assertion Issuer without Format (71)": (f"{ASSERTION}/saml:Issuer", _set("Format", None), "emittente"),
    "no Conditions (74)": (f"{ASSERTION}/saml:Conditions", _remove, "Conditions"),
    "Conditions without NotBefore (76)": (f"{ASSERTION}/saml:Conditions", _set("NotBefore", None), "Conditions"),
    "no AudienceRestriction (73)": (f"{ASSERTION}/saml:Conditions/saml:AudienceRestriction", _remove, "Audience"),
}


def test_a_correct_response_passes(signed_response):
    _check(signed_response)


@pytest.mark.parametrize("case", list(CASES))
def test_each_broken_rule_is_refused(signed_response, case):
    path, change, named = CASES[case]
    edited = _edit(signed_response, path, change)
    assert edited != signed_response
    with pytest.raises(ProfileError, match=named):
        _check(edited)


def test_the_window_allows_a_minute_of_skew(signed_response):
    requested_at = SpidRequest.objects.get().created_at
    root = etree.fromstring(signed_response)
    issued = (requested_at - datetime.timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    root.xpath(ASSERTION, namespaces=NS)[0].set("IssueInstant", issued)
    _check(etree.tostring(root))
