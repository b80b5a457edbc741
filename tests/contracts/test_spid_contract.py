"""What the portal sends SPID and CIE identity providers, validated against our XSDs written from AgID's published
schemas (tests/contracts/spid_*.xsd, headed by their source): the SP metadata, the AuthnRequest, the LogoutRequest."""

import base64
import re
from pathlib import Path

import pytest
from django.urls import reverse
from lxml import etree

from tests.spid.conftest import acs_post, idp_answer, saml_value

pytestmark = pytest.mark.django_db
HERE = Path(__file__).parent


def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(HERE / name)))


def _valid(schema: etree.XMLSchema, document: bytes) -> None:
    assert schema.validate(etree.fromstring(document)), schema.error_log.last_error


def test_the_sp_metadata_follow_the_schema(client, idp):
    metadata = client.get(reverse("spid:metadata")).content
    schema = _schema("spid_sp_metadata.xsd")
    _valid(schema, metadata)
    # the schema can fail: a contact of another type, a metadata without its signature
    technical = re.sub(rb'contactType="other"', b'contactType="technical"', metadata)
    assert not schema.validate(etree.fromstring(technical))
    unsigned = re.sub(rb"<ns1:Signature.*?</ns1:Signature>", b"", metadata, flags=re.DOTALL)
    assert unsigned != metadata
    assert not schema.validate(etree.fromstring(unsigned))


def test_the_authn_request_follows_the_schema(client, idp):
    request = base64.b64decode(saml_value(client.get(reverse("spid:login"), {"idp": idp.pk})))
    schema = _schema("spid_requests.xsd")
    _valid(schema, request)
    assert not schema.validate(etree.fromstring(request.replace(b'Version="2.0"', b'Version="1.1"')))


def test_the_logout_request_follows_the_schema(client, idp, legal_documents):
    acs_post(client, idp_answer(client, idp))
    client.post(reverse("account_logout"))
    request = base64.b64decode(saml_value(client.get(reverse("spid:logout"))))
    assert b"LogoutRequest" in request
    _valid(_schema("spid_requests.xsd"), request)
