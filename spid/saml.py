"""The portal as a SPID service provider, on pysaml2 (signatures with xmlsec1).

- `sp_config()`: entity ID, key and certificate, the assertion consumer service (HTTP-POST), the attributes asked
  (AttributeConsumingService index 0: fiscalNumber, name, familyName, email), signed requests, signed assertions
  required, unsolicited responses refused; the active IdPs' metadata inline.
- `authn_request()`: a signed AuthnRequest for one IdP, SpidL<level> (minimum), ForceAuthn from level 2, NameIDPolicy
  transient, AttributeConsumingServiceIndex 0, sent by HTTP-POST; its ID is recorded to be answered once.
- `authn_response_check()`: pysaml2 checks the signature, the issuer, audience, destination, the time windows and
  that InResponseTo is one of our outstanding requests; then here: XML with DOCTYPE refused before parsing, the
  request answered only once, the assertion never seen before, the level granted at least the one asked, a
  fiscalNumber present with a valid codice fiscale (TINIT-<CF>). Any failure is a `SpidError` whose message is
  the Italian sentence the parent reads.
"""

import base64
import binascii
import datetime
import functools
import logging
import re
import secrets
from dataclasses import dataclass
from html import unescape as html_unescape
from urllib.parse import urlsplit

from codicefiscale import codicefiscale
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from saml2 import BINDING_HTTP_POST
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.saml import NAMEID_FORMAT_TRANSIENT, AuthnContextClassRef
from saml2.samlp import RequestedAuthnContext
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from . import conf
from .keys import key_pair_ensure
from .models import IdentityProvider, SeenAssertion, SpidRequest
from .profile import ProfileError, spid_profile_check

logger = logging.getLogger(__name__)
REQUEST_LIFETIME = datetime.timedelta(minutes=15)
ATTRIBUTE_MAP_DIR = str(conf.__file__).rsplit("/", 1)[0] + "/attributemaps"
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_WEAK_ALGORITHM = re.compile(rb'Algorithm="http://www\.w3\.org/2000/09/xmldsig#(rsa-)?sha1"')
_ASSERTION = re.compile(rb"<([A-Za-z0-9_]+:)?Assertion[\s>]")


@dataclass(frozen=True)
class PostForm:
    """A SAML message the browser posts to `action`, in the field `field` (SAMLRequest or SAMLResponse)."""

    action: str
    field: str
    value: str
    relay_state: str = ""

    @property
    def origin(self) -> str:
        parts = urlsplit(self.action)
        return f"{parts.scheme}://{parts.netloc}"


def posted_form(html: str, field: str) -> PostForm:
    """The address and the value of the form pysaml2 builds for the HTTP-POST binding (our page posts it)."""
    found = re.search(rf'action="(?P<action>[^"]+)".*name="{field}" value="(?P<value>[^"]+)"', html, re.DOTALL)
    if found is None:
        raise SpidError(_("non è stato possibile preparare la richiesta."))
    relay = re.search(r'name="RelayState" value="(?P<value>[^"]*)"', html)
    return PostForm(
        action=html_unescape(found["action"]),
        field=field,
        value=found["value"],
        relay_state=html_unescape(relay["value"]) if relay else "",
    )


def relay_state_new() -> str:
    """SPID wants a RelayState, not readable: a random token (where to go next stays in the database)."""
    return secrets.token_urlsafe(16)


class SpidError(Exception):
    """A refusal; str() is what the parent reads after "Accesso non riuscito:"."""


@dataclass(frozen=True)
class SpidIdentity:
    fiscal_code: str
    first_name: str
    last_name: str
    email: str
    level: int
    idp: IdentityProvider
    name_id: str = ""  # the NameID and SessionIndex the IdP gave this entry, for single logout
    session_index: str = ""


class SpidClient(Saml2Client):
    """pysaml2's client with the Issuer SPID asks for: Format entity and NameQualifier = the SP's entity ID."""

    def _issuer(self, entityid=None):
        issuer = super()._issuer(entityid)
        issuer.name_qualifier = self.config.entityid
        return issuer


def acs_url() -> str:
    return f"{conf.base_url()}{reverse('spid:acs')}"


def slo_url() -> str:
    return f"{conf.base_url()}{reverse('spid:slo')}"


def sp_config(*, with_idps: bool = True, own: bool = False) -> SPConfig:
    """The SP's pysaml2 configuration, loaded once per set of settings, key and certificate, and active IdPs' metadata
    (loading it costs ~40 ms): shared, read-only, by the requests of this process; `own=True` gives a new one, to
    change."""
    key_pair_ensure(key_path=conf.key_file(), cert_path=conf.cert_file(), name="Portale servizi scolastici")
    cert = conf.cert_file()
    idps = (
        tuple(IdentityProvider.objects.filter(active=True).order_by("pk").values_list("metadata_xml", flat=True))
        if with_idps
        else ()
    )
    arguments = {
        "entity_id": conf.entity_id(),
        "acs": acs_url(),
        "slo": slo_url(),
        "key": str(conf.key_file()),
        "cert": str(cert),
        "stamp": cert.stat().st_mtime_ns,  # a new certificate: a new configuration
        "comune": settings.PORTAL_COMUNE_NAME,
        "idps": idps,
    }
    return _sp_config_load(**arguments) if own else _sp_config_cached(**arguments)


@functools.lru_cache(maxsize=8)
def _sp_config_cached(**arguments) -> SPConfig:
    return _sp_config_load(**arguments)


def _sp_config_load(
    *, entity_id: str, acs: str, slo: str, key: str, cert: str, stamp: int, comune: str, idps: tuple[str, ...]
) -> SPConfig:
    config = {
        "entityid": entity_id,
        "name": f"Servizi scolastici — {comune}",
        "description": "Iscrizioni e pagamenti dei servizi scolastici",
        "xmlsec_binary": conf.XMLSEC,
        "key_file": key,
        "cert_file": cert,
        "attribute_map_dir": ATTRIBUTE_MAP_DIR,
        "accepted_time_diff": 60,
        "service": {
            "sp": {
                "endpoints": {
                    "assertion_consumer_service": [(acs, BINDING_HTTP_POST)],
                    "single_logout_service": [(slo, BINDING_HTTP_POST)],
                },
                "authn_requests_signed": True,
                "signing_algorithm": SIG_RSA_SHA256,  # SPID refuses SHA-1 (pysaml2's default)
                "digest_algorithm": DIGEST_SHA256,
                "logout_requests_signed": True,
                "logout_responses_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "allow_unsolicited": False,
                "allow_unknown_attributes": True,
                "name_id_format": NAMEID_FORMAT_TRANSIENT,
                "required_attributes": list(conf.ATTRIBUTES),
                "requested_attribute_name_format": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
            }
        },
        "metadata": {"inline": list(idps)} if idps else {},
    }
    return SPConfig().load(config)


def authn_request(*, idp: IdentityProvider, next_url: str) -> PostForm:
    """The signed AuthnRequest for the IdP, to be posted by the browser (pysaml2 builds it; our page submits it)."""
    level = conf.level()
    client = SpidClient(sp_config())
    context = RequestedAuthnContext(
        authn_context_class_ref=[AuthnContextClassRef(text=conf.SPID_LEVELS[level])], comparison="minimum"
    )
    request_id, info = client.prepare_for_authenticate(
        entityid=idp.entity_id,
        relay_state=relay_state_new(),
        binding=BINDING_HTTP_POST,
        requested_authn_context=context,
        force_authn="true" if level >= 2 else None,
        attribute_consuming_service_index="0",
        nameid_format=NAMEID_FORMAT_TRANSIENT,
    )
    SpidRequest.objects.create(request_id=request_id, idp=idp, level=level, next_url=next_url[:300])
    return posted_form(str(info["data"]), "SAMLRequest")


def _decoded(saml_response: str) -> bytes:
    try:
        return base64.b64decode(saml_response, validate=False)
    except (binascii.Error, ValueError) as error:
        raise SpidError(_("la risposta dell'identity provider non è leggibile.")) from error


def _level_of(class_ref: str) -> int:
    return next((level for level, uri in conf.SPID_LEVELS.items() if uri == class_ref), 0)


def _fiscal_code(values: list[str]) -> str:
    raw = (values[0] if values else "").strip().upper()
    code = raw.removeprefix("TINIT-")
    if not code or raw == code or not codicefiscale.is_valid(code):
        raise SpidError(_("l'identity provider non ha inviato un codice fiscale valido."))
    return code


def authn_response_check(*, saml_response: str) -> tuple[SpidIdentity, SpidRequest]:
    """Check a posted SAMLResponse (see the module); returns who entered and the request it answers."""
    document = _decoded(saml_response)
    if _DOCTYPE.search(document):
        raise SpidError(_("la risposta contiene costrutti XML non ammessi."))
    if _WEAK_ALGORITHM.search(document):  # SPID signs with SHA-256 at least; pysaml2 would accept SHA-1
        raise SpidError(_("la risposta è firmata con un algoritmo non ammesso."))
    if len(_ASSERTION.findall(document)) > 1:  # an extra (unsigned) assertion beside the signed one: wrapping
        raise SpidError(_("la risposta deve contenere una sola asserzione."))
    now = timezone.now()
    outstanding = {
        row.request_id: row.next_url
        for row in SpidRequest.objects.filter(
            kind=SpidRequest.Kind.AUTHN, answered_at__isnull=True, created_at__gte=now - REQUEST_LIFETIME
        )
    }
    client = Saml2Client(sp_config())
    try:
        response = client.parse_authn_request_response(saml_response, BINDING_HTTP_POST, outstanding=outstanding)
    except Exception as error:  # pysaml2 raises many kinds: signature, audience, time, unsolicited, status
        logger.warning("SPID response refused by pysaml2: %s: %s", type(error).__name__, error)
        raise SpidError(
            _("la risposta dell'identity provider non è valida (%(why)s).") % {"why": _why(error)}
        ) from error
    if response is None:
        raise SpidError(_("la risposta dell'identity provider non è valida."))
    with transaction.atomic():
        request = (
            SpidRequest.objects.select_for_update()
            .filter(request_id=response.in_response_to, kind=SpidRequest.Kind.AUTHN)
            .first()
        )
        if request is None or request.answered_at is not None:
            raise SpidError(_("questa risposta è già stata usata: accedi di nuovo."))
        request.answered_at = now
        request.save(update_fields=["answered_at"])
        try:
            SeenAssertion.objects.create(assertion_id=str(response.assertion.id)[:100])
        except IntegrityError as error:
            raise SpidError(_("questa risposta è già stata usata: accedi di nuovo.")) from error
    try:
        spid_profile_check(
            document, acs_url=acs_url(), entity_id=conf.entity_id(), requested_at=request.created_at, now=now
        )
    except ProfileError as error:
        logger.warning("SPID response refused by the SPID profile: %s", error)
        raise SpidError(_("la risposta non rispetta le regole SPID: %(what)s.") % {"what": error}) from error
    granted = max((_level_of(ref) for ref, _authorities, _instant in response.authn_info()), default=0)
    if granted < request.level:
        raise SpidError(
            _("il livello SPID usato (%(got)s) è inferiore a quello richiesto (%(asked)s).")
            % {"got": granted or "?", "asked": request.level}
        )
    ava = response.ava
    identity = SpidIdentity(
        fiscal_code=_fiscal_code(ava.get("fiscalNumber", [])),
        first_name=(ava.get("name") or [""])[0][:150],
        last_name=(ava.get("familyName") or [""])[0][:150],
        email=(ava.get("email") or [""])[0][:254],
        level=granted,
        idp=request.idp,
        name_id=str(response.name_id) if response.name_id is not None else "",
        session_index=_session_index(response),
    )
    return identity, request


def _session_index(response) -> str:
    statements = response.assertion.authn_statement if response.assertion is not None else []
    return next((str(s.session_index) for s in statements if s.session_index), "")[:200]


def _why(error: Exception) -> str:
    name = type(error).__name__
    return {
        "SignatureError": _("firma mancante o non valida"),
        "MissingKey": _("firma mancante o non valida"),
        "UnsolicitedResponse": _("risposta a una richiesta sconosciuta"),
        "ResponseLifetimeExceed": _("risposta scaduta"),
        "ToEarly": _("risposta non ancora valida"),
        "StatusError": _("l'identity provider ha segnalato un errore"),
        "StatusAuthnFailed": _("autenticazione non riuscita"),
        "StatusRequestDenied": _("accesso negato dall'identity provider"),
    }.get(name, _("controllo di sicurezza non superato"))  # the exception's name goes to the log, not the page
