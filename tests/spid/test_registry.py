"""The identity providers from the SPID registry's aggregate (signed, validUntil) and CIE ID's metadata: added,
updated, deactivated when no longer published; a document that cannot be trusted changes nothing."""

import datetime
import re
from io import StringIO

import pytest
from cryptography import x509
from django.core.management import CommandError, call_command
from django.utils import timezone
from saml2 import md
from saml2.metadata import entities_descriptor, entity_descriptor
from saml2.sigver import security_context
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from spid import registry
from spid.models import IdentityProvider
from spid.registry import RegistryError, identity_providers_apply, registry_entries
from spididp import idp as test_idp

pytestmark = pytest.mark.django_db


def _descriptor(entity_id: str, name: str) -> md.EntityDescriptor:
    descriptor = entity_descriptor(test_idp.idp_config())
    descriptor.entity_id = entity_id
    descriptor.organization = md.Organization(
        organization_name=[md.OrganizationName(text=name, lang="it")],
        organization_display_name=[md.OrganizationDisplayName(text=name, lang="it")],
        organization_url=[md.OrganizationURL(text="https://idp.example.it/", lang="it")],
    )
    return descriptor


def _aggregate(*names: str, hours: int = 48) -> bytes:
    """An EntitiesDescriptor like the registry's, signed with the test IdP's key (standing in for AgID's)."""
    descriptors = [_descriptor(f"https://{n.lower()}.example.it/", n) for n in names]
    secc = security_context(test_idp.idp_config())
    _entities, xml = entities_descriptor(
        descriptors, hours, "https://idps.spid.gov.it", "_registro", True, secc, SIG_RSA_SHA256, DIGEST_SHA256
    )
    return str(xml).encode()


@pytest.fixture
def agid_cert(idp, settings):
    cert = str(test_idp._paths("spid")[1])
    settings.SPID_REGISTRY_CERT_FILE = cert
    return cert


def test_the_registry_adds_then_follows_the_published_list(idp, agid_cert):
    entries = registry_entries(_aggregate("Aruba", "Poste", "Lepida"), cert_file=agid_cert)
    assert sorted(e.name for e in entries) == ["Aruba", "Lepida", "Poste"]
    outcome = identity_providers_apply(entries=entries, kind="spid")
    assert (outcome.added, outcome.updated, outcome.deactivated) == (3, 0, 0)
    later = identity_providers_apply(entries=registry_entries(_aggregate("Aruba", "Poste")), kind="spid")
    assert (later.added, later.updated, later.deactivated) == (0, 2, 1)
    assert not IdentityProvider.objects.get(name="Lepida").active
    assert IdentityProvider.objects.get(test=True, kind="spid").active  # the test IdP is never touched
    back = identity_providers_apply(entries=registry_entries(_aggregate("Lepida", "Aruba", "Poste")), kind="spid")
    assert (back.added, back.updated, back.deactivated) == (0, 3, 0)
    assert IdentityProvider.objects.get(name="Lepida").active


def test_a_registry_idp_can_be_used_to_enter(idp, agid_cert):
    identity_providers_apply(entries=registry_entries(_aggregate("Aruba"), cert_file=agid_cert), kind="spid")
    from spid.saml import sp_config

    config = sp_config()
    assert config.metadata.single_sign_on_service(
        "https://aruba.example.it/", "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    )


def test_a_tampered_aggregate_is_refused_and_nothing_changes(idp, agid_cert):
    document = _aggregate("Aruba", "Poste").replace(b"Poste", b"Rubata")
    with pytest.raises(RegistryError, match="signature"):
        registry_entries(document, cert_file=agid_cert)
    assert IdentityProvider.objects.filter(test=False).count() == 0


def test_an_unsigned_aggregate_is_refused_when_the_certificate_is_set(idp, agid_cert):
    descriptors = [_descriptor("https://aruba.example.it/", "Aruba")]
    entities, _xml = entities_descriptor(descriptors, 48, "https://idps.spid.gov.it", None, False, None)
    with pytest.raises(RegistryError, match="signature"):
        registry_entries(str(entities).encode(), cert_file=agid_cert)


def test_an_expired_aggregate_is_refused(idp, agid_cert):
    document = _aggregate("Aruba")
    with pytest.raises(RegistryError, match="expired"):
        registry_entries(document, cert_file=agid_cert, now=timezone.now() + datetime.timedelta(days=3))


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]><x/>', "DTD"),
        (b"<not-xml", "well-formed"),
        (b'<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>', "no identity provider"),
    ],
)
def test_unusable_documents_are_refused(idp, document, reason):
    with pytest.raises(RegistryError, match=reason):
        registry_entries(document)


def test_the_command_loads_cie_metadata_from_a_file(idp, tmp_path):
    path = tmp_path / "cie.xml"
    path.write_text(str(_descriptor("https://idserver.example.it/idp/", "Ministero dell'Interno")))
    out = StringIO()
    call_command("spid_idp_refresh", file=str(path), kind="cie", stdout=out)
    assert "cie: 1 added" in out.getvalue()
    cie = IdentityProvider.objects.get(entity_id="https://idserver.example.it/idp/")
    assert (cie.kind, cie.name, cie.active) == ("cie", "Ministero dell'Interno", True)
    path.write_text("<broken")
    with pytest.raises(CommandError):
        call_command("spid_idp_refresh", file=str(path), kind="cie", stdout=StringIO())


def test_the_nightly_refresh_keeps_the_list_when_the_registry_does_not_answer(idp, settings, monkeypatch, caplog):
    settings.SPID_REGISTRY_URL = "https://registro.example.it/idps.xml"
    settings.CIE_METADATA_URL = ""
    identity_providers_apply(entries=registry_entries(_aggregate("Aruba")), kind="spid")

    def down(url):
        raise RegistryError(f"{url} could not be read: connection refused")

    monkeypatch.setattr(registry, "metadata_fetch", down)
    assert registry.identity_providers_refresh() == {}
    assert IdentityProvider.objects.get(name="Aruba").active
    assert "not refreshed" in caplog.text
    monkeypatch.setattr(registry, "metadata_fetch", lambda url: _aggregate("Aruba", "Poste"))
    outcome = registry.identity_providers_refresh()["spid"]
    assert (outcome.added, outcome.updated) == (1, 1)


def test_old_requests_assertions_and_entries_are_purged(client, idp, legal_documents):
    from django.test import Client
    from django.urls import reverse

    from spid.models import LoginRecord, SeenAssertion, SpidRequest
    from spid.services import spid_records_purge
    from tests.spid.conftest import acs_post, idp_answer

    assert acs_post(client, idp_answer(client, idp)).status_code == 302
    assert Client().get(reverse("spid:login"), {"idp": idp.pk}).status_code == 200  # a request never answered
    now = timezone.now()
    assert spid_records_purge(now=now, dry_run=False) == 0
    later = now + datetime.timedelta(days=2)
    assert (SpidRequest.objects.count(), SeenAssertion.objects.count()) == (2, 1)
    assert spid_records_purge(now=later, dry_run=True) == 3  # two requests, one assertion
    assert spid_records_purge(now=later, dry_run=False) == 3
    assert (SpidRequest.objects.count(), SeenAssertion.objects.count(), LoginRecord.objects.count()) == (0, 0, 1)
    assert spid_records_purge(now=now + datetime.timedelta(days=401), dry_run=False) == 1


def _expired_certificate_pem() -> str:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "IdP scaduto")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.datetime(2019, 4, 11, tzinfo=datetime.UTC))
        .not_valid_after(datetime.datetime(2025, 3, 8, tzinfo=datetime.UTC))
        .sign(key, hashes.SHA256())
    )
    body = certificate.public_bytes(serialization.Encoding.PEM).decode()
    return "".join(line for line in body.splitlines() if "CERTIFICATE" not in line)


def test_an_expired_signing_certificate_is_shown_to_the_office_and_logged(idp, settings, caplog, client):
    from django.urls import reverse

    from spid.registry import expiring_identity_providers, signing_certificate_expiry
    from tests.conftest import make_user
    from tests.enrollment.helpers import signed_in

    clerk = make_user(codice_fiscale="VRDGLI79P61A944R", email="ufficio@example.it", is_staff=True, is_superuser=True)
    admin_client = signed_in(client, clerk)

    assert signing_certificate_expiry(idp.metadata_xml) > timezone.now() + datetime.timedelta(days=3000)
    current = re.search(r"<ns\d:X509Certificate>([^<]+)<", idp.metadata_xml).group(1)
    expired = idp.metadata_xml.replace(current, _expired_certificate_pem())
    IdentityProvider.objects.create(entity_id="https://scaduto.example.it/", name="Scaduto", metadata_xml=expired)
    assert [name for name, _expiry in expiring_identity_providers()] == ["Scaduto"]
    page = admin_client.get(reverse("admin:spid_identityprovider_changelist")).content.decode()
    assert "SCADUTO il 8 marzo 2025" in page
    settings.SPID_REGISTRY_URL = ""
    settings.CIE_METADATA_URL = ""
    registry.identity_providers_refresh()
    assert "Scaduto: its signing certificate expires (or expired) on 2025-03-08" in caplog.text


def test_the_office_group_sees_the_identity_providers_but_does_not_change_them(idp, client, legal_documents):
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from tests.conftest import make_user
    from tests.enrollment.helpers import signed_in

    clerk = make_user(
        codice_fiscale="VRDGLI79P61A944R", email="ufficio@example.it", documents=legal_documents, is_staff=True
    )
    clerk.groups.add(Group.objects.get(name="Ufficio scuola"))
    office = signed_in(client, clerk)
    assert "IdP di prova" in office.get(reverse("admin:spid_identityprovider_changelist")).content.decode()
    assert office.get(reverse("admin:spid_loginrecord_changelist")).status_code == 200
    assert (
        office.post(reverse("admin:spid_identityprovider_delete", args=[idp.pk]), {"post": "yes"}).status_code == 403
    )
