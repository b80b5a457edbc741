"""The service provider's metadata and AuthnRequest against AgID's rules, element by element (Regole tecniche SPID;
notice no. 29 v3 for Organization and the ContactPerson extensions): what the SPID validator checks of an SP."""

import base64

import pytest
from django.urls import reverse
from lxml import etree

from tests.spid.conftest import saml_value

pytestmark = pytest.mark.django_db
NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "spid": "https://spid.gov.it/saml-extensions",
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
}
LANG = "{http://www.w3.org/XML/1998/namespace}lang"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


@pytest.fixture
def metadata(client, idp, settings):
    settings.SPID_IPA_CODE = "c_h501"
    settings.SPID_CONTACT_EMAIL = "protocollo@comune.example.it"
    settings.SPID_CONTACT_PHONE = "+390612345678"
    response = client.get(reverse("spid:metadata"))
    assert response["Content-Type"] == "application/samlmetadata+xml"
    return etree.fromstring(response.content)


def _one(root, path):
    found = root.xpath(path, namespaces=NS)
    assert len(found) == 1, (path, found)
    return found[0]


def test_signed_with_rsa_sha256_and_no_weak_algorithm_listed(metadata):
    signature = _one(metadata, "ds:Signature")
    assert _one(signature, ".//ds:SignatureMethod").get("Algorithm").endswith("rsa-sha256")
    assert _one(signature, ".//ds:DigestMethod").get("Algorithm").endswith("sha256")
    assert _one(signature, ".//ds:Reference").get("URI") == f"#{metadata.get('ID')}"
    assert not metadata.xpath("md:Extensions", namespaces=NS)  # no MD5/SHA-1 in a list of algorithms


def test_the_sp_descriptor(metadata):
    sp = _one(metadata, "md:SPSSODescriptor")
    assert sp.get("AuthnRequestsSigned") == "true"
    assert sp.get("WantAssertionsSigned") == "true"
    assert _one(sp, "md:KeyDescriptor").get("use") == "signing"
    assert _one(sp, "md:NameIDFormat").text == "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
    slo = _one(sp, "md:SingleLogoutService")
    assert (slo.get("Binding"), slo.get("Location")) == (POST, "http://127.0.0.1:8000/spid/slo/")
    acs = _one(sp, "md:AssertionConsumerService")
    assert (acs.get("Binding"), acs.get("index"), acs.get("isDefault")) == (POST, "0", "true")
    service = _one(sp, "md:AttributeConsumingService")
    assert service.get("index") == "0"
    assert _one(service, "md:ServiceName").get(LANG) == "it"
    asked = [a.get("Name") for a in service.xpath("md:RequestedAttribute", namespaces=NS)]
    assert asked == ["fiscalNumber", "name", "familyName", "email"]  # and nothing it does not need


def test_organization_and_the_public_administration_contact(metadata):
    organization = _one(metadata, "md:Organization")
    for tag in ("OrganizationName", "OrganizationDisplayName", "OrganizationURL"):
        assert _one(organization, f"md:{tag}").get(LANG) == "it"
    assert _one(organization, "md:OrganizationName").text == "Comune di Borgo Demo"
    contact = _one(metadata, "md:ContactPerson")
    assert contact.get("contactType") == "other"
    assert _one(contact, "md:Extensions/spid:IPACode").text == "c_h501"
    _one(contact, "md:Extensions/spid:Public")
    assert _one(contact, "md:EmailAddress").text == "protocollo@comune.example.it"
    assert _one(contact, "md:TelephoneNumber").text == "+390612345678"
    order = [etree.QName(child).localname for child in metadata]
    assert order.index("SPSSODescriptor") < order.index("Organization") < order.index("ContactPerson")


def test_the_authn_request_names_what_the_metadata_publish(client, idp, metadata):
    page = client.get(reverse("spid:login"), {"idp": idp.pk})
    request = etree.fromstring(base64.b64decode(saml_value(page)))
    assert request.get("AttributeConsumingServiceIndex") == _one(
        metadata, "md:SPSSODescriptor/md:AttributeConsumingService"
    ).get("index")
    assert request.get("ForceAuthn") == "true"
    assert request.get("Destination") == "http://127.0.0.1:8000/spid-prova/sso/"
    issuer = _one(request, "saml:Issuer")
    assert (issuer.text, issuer.get("NameQualifier")) == (metadata.get("entityID"), metadata.get("entityID"))
    assert _one(request, "samlp:RequestedAuthnContext/saml:AuthnContextClassRef").text == (
        "https://www.spid.gov.it/SpidL2"
    )
    assert _one(request, "ds:Signature//ds:SignatureMethod").get("Algorithm").endswith("rsa-sha256")


def test_the_cie_metadata_follow_the_ministrys_rules(client, idp, settings):
    settings.SPID_IPA_CODE = "c_h501"
    settings.SPID_MUNICIPALITY_CODE = "H501"
    root = etree.fromstring(client.get(reverse("spid:metadata_cie")).content)
    cie = {**NS, "cie": "https://www.cartaidentita.interno.gov.it/saml-extensions"}
    service = root.xpath("md:SPSSODescriptor/md:AttributeConsumingService", namespaces=NS)[0]
    asked = [a.get("Name") for a in service.xpath("md:RequestedAttribute", namespaces=NS)]
    assert asked == ["fiscalNumber", "name", "familyName", "dateOfBirth"]  # CIE ID has no e-mail
    contact = root.xpath("md:ContactPerson", namespaces=NS)
    assert [c.get("contactType") for c in contact] == ["administrative"]
    extensions = contact[0].xpath("md:Extensions", namespaces=NS)[0]
    assert extensions.xpath("cie:Public", namespaces=cie)
    assert extensions.xpath("cie:IPACode", namespaces=cie)[0].text == "c_h501"
    assert extensions.xpath("cie:Municipality", namespaces=cie)[0].text == "H501"
    assert contact[0].xpath("md:Company", namespaces=NS)[0].text == "Comune di Borgo Demo"
    assert root.get("entityID") == etree.fromstring(client.get(reverse("spid:metadata")).content).get("entityID")
    assert root.xpath("ds:Signature", namespaces=NS)
