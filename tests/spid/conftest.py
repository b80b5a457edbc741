"""SPID and CIE through the test IdPs: the identity providers registered, and the browser's round trip played by
the test client (the portal's form posted to the IdP, the IdP's answer posted back)."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from spid.models import IdentityProvider

VALUE = re.compile(r'name="(SAMLRequest|SAMLResponse)" value="([^"]+)"')


@pytest.fixture
def idp(settings, tmp_path):
    settings.SPID_KEY_FILE = str(tmp_path / "sp.key")
    settings.SPID_CERT_FILE = str(tmp_path / "sp.crt")
    call_command("spid_test_idp_register", verbosity=0)
    return IdentityProvider.objects.get(test=True, kind="spid")


@pytest.fixture
def cie_idp(idp):
    return IdentityProvider.objects.get(test=True, kind="cie")


def saml_value(response) -> str:
    return VALUE.search(response.content.decode()).group(2)


def idp_answer(client, idp, *, mode="ok", citizen=0, next_url="") -> str:
    """Ask to enter with the test IdP, answer as `mode`: the SAMLResponse the browser would post back."""
    page = client.get(reverse("spid:login"), {"idp": idp.pk, "next": next_url})
    assert page.status_code == 200
    request = saml_value(page)
    sso = "spididp:cie_sso" if idp.kind == "cie" else "spididp:sso"
    answer = client.post(reverse(sso), {"SAMLRequest": request, "citizen": citizen, "mode": mode})
    return saml_value(answer)


def acs_post(client, saml_response):
    return client.post(reverse("spid:acs"), {"SAMLResponse": saml_response})
