"""The test IdP's SAML side: its configuration (key and certificate generated once in var/saml/), its metadata, and
the responses it builds for the portal's requests, right or wrong as asked."""

import base64
import secrets
from pathlib import Path

from codicefiscale import codicefiscale
from django.conf import settings
from django.urls import reverse
from saml2 import BINDING_HTTP_POST, saml
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256

from spid import conf
from spid.keys import key_pair_ensure
from spid.metadata import sp_metadata_xml
from spid.saml import ATTRIBUTE_MAP_DIR

CITIZENS = [
    {
        "fiscalNumber": "TINIT-RSSMRA85C52H501N",
        "name": "Maria",
        "familyName": "Rossi",
        "email": "maria.rossi@demo.example.it",
    },
    {
        "fiscalNumber": "TINIT-BNCLCU82L04F205H",
        "name": "Luca",
        "familyName": "Bianchi",
        "email": "luca.bianchi@demo.example.it",
    },
    {
        "fiscalNumber": "TINIT-VRDNNA90A41F205M",
        "name": "Anna",
        "familyName": "Verdi",
        "email": "anna.verdi@demo.example.it",
    },
    {  # the demo's imported family (seed_demo): her children are linked at her first SPID entry
        "fiscalNumber": "TINIT-FRRCHR84L61F205A",
        "name": "Chiara",
        "familyName": "Ferrari",
        "email": "chiara.ferrari@demo.example.it",
    },
]
MODES = {
    "ok": "Risposta corretta (SpidL2)",
    "level1": "Livello 1 soltanto",
    "unsigned": "Senza firma",
    "audience": "Destinatario sbagliato",
    "no_fiscal": "Senza codice fiscale",
    "bad_fiscal": "Codice fiscale con carattere di controllo errato",
    "error": "Errore: autenticazione annullata",
    "unknown_request": "Risposta a una richiesta sconosciuta",
    "sha1": "Firmata con SHA-1 (non ammesso da SPID)",
    "persistent": "NameID persistente (SPID vuole transient)",
}


# One test IdP for SPID, one for CIE ID (the Ministry's IdP speaks the same SAML profile): own keys, own routes.
KINDS = {
    "spid": {"route": "", "name": "IdP di prova", "file": "idp"},
    "cie": {"route": "cie_", "name": "CIE ID di prova", "file": "cie"},
}


def _url(kind: str, name: str) -> str:
    return f"{conf.base_url()}{reverse('spididp:' + KINDS[kind]['route'] + name)}"


def entity_id(kind: str = "spid") -> str:
    return _url(kind, "metadata")


def _paths(kind: str) -> tuple[Path, Path]:
    folder = settings.BASE_DIR / "var" / "saml"
    return folder / f"{KINDS[kind]['file']}.key", folder / f"{KINDS[kind]['file']}.crt"


OTHER_SP = "https://altro.example.it/"


def _other_sp_metadata(kind: str) -> str:
    return sp_metadata_xml(kind).replace(f'entityID="{conf.entity_id()}"', f'entityID="{OTHER_SP}"', 1)


def idp_config(kind: str = "spid") -> IdPConfig:
    key, cert = _paths(kind)
    key_pair_ensure(key_path=key, cert_path=cert, name=KINDS[kind]["name"])
    config = {
        "entityid": entity_id(kind),
        "xmlsec_binary": conf.XMLSEC,
        "key_file": str(key),
        "cert_file": str(cert),
        "attribute_map_dir": ATTRIBUTE_MAP_DIR,
        "service": {
            "idp": {
                "endpoints": {
                    "single_sign_on_service": [(_url(kind, "sso"), BINDING_HTTP_POST)],
                    "single_logout_service": [(_url(kind, "slo"), BINDING_HTTP_POST)],
                },
                "want_authn_requests_signed": True,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,  # pysaml2 applies it to every request: logout ones too
                "name_id_format": [NAMEID_FORMAT_TRANSIENT],
                "policy": {
                    "default": {
                        "sign_response": True,
                        "sign_assertion": True,
                        "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
                        "lifetime": {"minutes": 5},
                    }
                },
            }
        },
        # the portal, and a copy of it under another entity ID (to answer "to the wrong audience" on demand)
        # (the CIE test IdP trusts the CIE metadata, as the Ministry's federation holds it)
        "metadata": {"inline": [sp_metadata_xml(kind), _other_sp_metadata(kind)]},
    }
    return IdPConfig().load(config)


def metadata_xml(kind: str = "spid") -> str:
    return str(entity_descriptor(idp_config(kind)))


def server(kind: str = "spid") -> Server:
    return Server(config=idp_config(kind))


SPID_LEVELS = {f"https://www.spid.gov.it/SpidL{n}" for n in (1, 2, 3)}
ENTITY = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"


def request_refusal(*, saml_request: str, kind: str = "spid") -> str | None:
    """Why a real SPID/CIE IdP would refuse this AuthnRequest (None: it is fine). The signature (RSA-SHA256 or
    stronger) is verified against the SP's metadata; then the SPID rules the IdPs enforce."""
    if b"xmldsig#rsa-sha1" in base64.b64decode(saml_request or "", validate=False):
        return "firma con SHA-1"
    try:
        idp = server(kind)
        request = idp.parse_authn_request(saml_request, BINDING_HTTP_POST).message
    except Exception as error:  # unsigned, wrongly signed, unknown SP, not XML
        return f"richiesta non valida ({type(error).__name__})"
    if request.signature is None:
        return "richiesta non firmata"
    if request.destination != _url(kind, "sso"):
        return "Destination diversa dal SingleSignOnService"
    if request.issuer is None or request.issuer.format != ENTITY or not request.issuer.name_qualifier:
        return "Issuer senza Format entity o NameQualifier"
    context = request.requested_authn_context
    refs = [ref.text for ref in context.authn_context_class_ref] if context is not None else []
    if not refs or not set(refs) <= SPID_LEVELS:
        return "RequestedAuthnContext assente o con un livello SPID sconosciuto"
    if any(not ref.endswith("SpidL1") for ref in refs) and request.force_authn != "true":
        return "ForceAuthn mancante per il livello 2 o 3"
    if request.name_id_policy is None or request.name_id_policy.format != NAMEID_FORMAT_TRANSIENT:
        return "NameIDPolicy non transient"
    descriptors = idp.metadata[request.issuer.text]["spsso_descriptor"]
    indexes = {service["index"] for d in descriptors for service in d.get("attribute_consuming_service", [])}
    if request.attribute_consuming_service_index not in indexes:
        return "AttributeConsumingServiceIndex assente o non presente nei metadata del SP"
    acs = idp.metadata.assertion_consumer_service(request.issuer.text, BINDING_HTTP_POST)
    if request.assertion_consumer_service_url not in {endpoint["location"] for endpoint in acs}:
        return "AssertionConsumerServiceURL non presente nei metadata del SP"
    return None


def response_for(*, saml_request: str, citizen: dict, mode: str, kind: str = "spid") -> tuple[str, str]:
    """(ACS URL, base64 SAMLResponse) answering the request as `mode` says."""
    idp = server(kind)
    request = idp.parse_authn_request(saml_request, BINDING_HTTP_POST).message
    destination = request.assertion_consumer_service_url
    in_response_to = "id-sconosciuta" if mode == "unknown_request" else request.id
    if mode == "error":
        from saml2 import samlp

        document = idp.create_error_response(
            in_response_to, destination, (samlp.STATUS_AUTHN_FAILED, "ErrorCode nr25"), sign=True
        )
    else:
        identity = _attributes(citizen, kind)
        if mode == "no_fiscal":
            identity.pop("fiscalNumber")
        if mode == "bad_fiscal":
            identity["fiscalNumber"] = identity["fiscalNumber"][:-1] + (
                "X" if identity["fiscalNumber"][-1] != "X" else "Y"
            )
        level = "https://www.spid.gov.it/SpidL1" if mode == "level1" else "https://www.spid.gov.it/SpidL2"
        signed = mode != "unsigned"
        document = idp.create_authn_response(
            identity,
            in_response_to=in_response_to,
            destination=destination,
            sp_entity_id=OTHER_SP if mode == "audience" else request.issuer.text,
            name_id=NameID(
                format=NAMEID_FORMAT_PERSISTENT if mode == "persistent" else NAMEID_FORMAT_TRANSIENT,
                text=_name_id(),
                name_qualifier=entity_id(kind),
            ),
            authn={"class_ref": level, "authn_auth": entity_id(kind)},
            sign_response=signed,
            sign_assertion=signed,
            **({"sign_alg": SIG_RSA_SHA1, "digest_alg": DIGEST_SHA1} if mode == "sha1" else {}),
        )
    return destination, base64.b64encode(str(document).encode()).decode()


def _attributes(citizen: dict, kind: str) -> dict:
    """What the IdP releases: SPID the attributes asked (e-mail included), CIE ID its own set (no e-mail, the date
    of birth, as the Ministry's IdP does)."""
    if kind != "cie":
        return dict(citizen)
    birth = codicefiscale.decode(citizen["fiscalNumber"].removeprefix("TINIT-"))["birthdate"]
    return {
        "fiscalNumber": citizen["fiscalNumber"],
        "name": citizen["name"],
        "familyName": citizen["familyName"],
        "dateOfBirth": birth.strftime("%Y-%m-%d"),
    }


def _name_id() -> str:
    return f"_{secrets.token_hex(16)}"


def logout_response_for(*, saml_request: str, kind: str = "spid") -> tuple[str, str]:
    """(SP's SLO URL, base64 LogoutResponse): the SP's LogoutRequest is checked (signed by the SP, as the IdP's
    configuration demands) and answered with a signed success."""
    idp = server(kind)
    request = idp.parse_logout_request(saml_request, BINDING_HTTP_POST).message
    response = idp.create_logout_response(request, [BINDING_HTTP_POST], sign=True)
    destination = idp.response_args(request, [BINDING_HTTP_POST])["destination"]
    return destination, base64.b64encode(str(response).encode()).decode()


def logout_request_to_sp(
    *, name_id: str, session_index: str, kind: str = "spid", sign: bool = True
) -> tuple[str, str]:
    """(SP's SLO URL, base64 LogoutRequest): the IdP ends the citizen's session at the portal (IdP-initiated)."""
    idp = server(kind)
    destination = idp.metadata.single_logout_service(conf.entity_id(), BINDING_HTTP_POST, "spsso")[0]["location"]
    _request_id, request = idp.create_logout_request(
        destination,
        conf.entity_id(),
        name_id=saml.name_id_from_string(name_id),
        session_indexes=[session_index],
        sign=sign,
    )
    return destination, base64.b64encode(str(request).encode()).decode()
