"""The test IdP is as strict as a real SPID IdP: an AuthnRequest that breaks a SPID rule gets its error page, never
a login page or an answer. Each request is built with the portal's own SAML client, one rule broken at a time."""

import re

import pytest
from django.urls import reverse
from saml2 import BINDING_HTTP_POST
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT, AuthnContextClassRef
from saml2.samlp import RequestedAuthnContext
from saml2.xmldsig import DIGEST_SHA1, SIG_RSA_SHA1

from spid.saml import SpidClient, sp_config

pytestmark = pytest.mark.django_db
FORM_VALUE = re.compile(r'name="SAMLRequest" value="([^"]+)"')


def _request(idp, **changes) -> str:
    """A SAMLRequest as the portal makes it (see spid.saml.authn_request), with `changes` applied."""
    config = sp_config(own=True)  # changed below: not the shared one
    if "sign_alg" in changes:  # the client's own algorithms, as a misconfigured SP would have them
        config.setattr("sp", "signing_algorithm", changes.pop("sign_alg"))
        config.setattr("sp", "digest_algorithm", changes.pop("digest_alg"))
    client = SpidClient(config)
    level = changes.pop("level", "https://www.spid.gov.it/SpidL2")
    arguments = {
        "entityid": idp.entity_id,
        "relay_state": "x",
        "binding": BINDING_HTTP_POST,
        "requested_authn_context": RequestedAuthnContext(
            authn_context_class_ref=[AuthnContextClassRef(text=level)], comparison="minimum"
        ),
        "force_authn": "true",
        "attribute_consuming_service_index": "0",
        "nameid_format": NAMEID_FORMAT_TRANSIENT,
    }
    arguments.update(changes)
    _request_id, info = client.prepare_for_authenticate(**arguments)
    return FORM_VALUE.search(str(info["data"])).group(1)


def _sso(client, saml_request):
    return client.post(reverse("spididp:sso"), {"SAMLRequest": saml_request})


def test_the_portals_request_is_accepted(client, idp):
    page = _sso(client, _request(idp))
    assert page.status_code == 200
    assert "Accedi come" in page.content.decode()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"force_authn": None}, "ForceAuthn"),
        ({"attribute_consuming_service_index": "7"}, "AttributeConsumingServiceIndex"),
        ({"nameid_format": NAMEID_FORMAT_PERSISTENT}, "NameIDPolicy"),
        ({"level": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"}, "RequestedAuthnContext"),
        ({"sign": False}, "IncorrectlySigned"),
        ({"sign_alg": SIG_RSA_SHA1, "digest_alg": DIGEST_SHA1}, "SHA-1"),
    ],
)
def test_a_request_breaking_a_spid_rule_is_refused(client, idp, changes, reason):
    page = _sso(client, _request(idp, **changes))
    assert page.status_code == 400
    body = page.content.decode()
    assert "Richiesta di autenticazione rifiutata" in body
    assert reason in body
    assert "SAMLResponse" not in body


def test_garbage_is_refused(client, idp):
    assert _sso(client, "bm90IHhtbA==").status_code == 400
    assert _sso(client, "").status_code == 400
