"""Single logout (SLO) over HTTP-POST, as the SPID rules ask of a service provider:

- leaving the portal after a SPID or CIE entry sends the IdP a signed `LogoutRequest` naming the NameID and the
  SessionIndex of that entry; the IdP's `LogoutResponse` must be signed and answer a logout request we made (once);
- a `LogoutRequest` from the IdP (the citizen left elsewhere) must be signed by an active IdP: the portal's sessions
  opened by that entry are closed, and a signed `LogoutResponse` goes back to the IdP.

The portal's own session is always closed first: whatever the IdP answers, nobody stays signed in here.
"""

import datetime
import logging
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from saml2 import BINDING_HTTP_POST, saml, samlp
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from .models import IdentityProvider, LoginRecord, SpidRequest
from .saml import PostForm, SpidClient, SpidError, posted_form, relay_state_new, sp_config

logger = logging.getLogger(__name__)
LOGOUT_LIFETIME = datetime.timedelta(minutes=15)


def _slo_location(idp: IdentityProvider) -> str | None:
    client = SpidClient(sp_config())
    try:
        locations = client.metadata.single_logout_service(idp.entity_id, BINDING_HTTP_POST, "idpsso")
    except Exception:  # an IdP without a single logout service
        return None
    return next((endpoint["location"] for endpoint in locations), None)


def logout_request_for(*, record: LoginRecord) -> PostForm | None:
    """The signed LogoutRequest for the entry `record` (None: the IdP has no SLO, or the entry has no NameID)."""
    idp = IdentityProvider.objects.filter(entity_id=record.idp_entity_id, active=True).first()
    if idp is None or not record.name_id:
        return None
    destination = _slo_location(idp)
    if destination is None:
        return None
    client = SpidClient(sp_config())
    name_id = saml.name_id_from_string(record.name_id)
    request_id, request = client.create_logout_request(
        destination,
        idp.entity_id,
        name_id=name_id,
        session_indexes=[record.session_index] if record.session_index else None,
        sign=True,
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    SpidRequest.objects.create(request_id=request_id, idp=idp, level=0, kind=SpidRequest.Kind.LOGOUT)
    info = client.apply_binding(BINDING_HTTP_POST, str(request), destination, relay_state=relay_state_new())
    return posted_form(str(info["data"]), "SAMLRequest")


def logout_response_check(*, saml_response: str) -> None:
    """Check the IdP's answer to our LogoutRequest: signed, to a logout request of ours, not yet answered,
    successful. Raises `SpidError` otherwise."""
    client = SpidClient(sp_config())
    try:
        response = client.parse_logout_request_response(saml_response, BINDING_HTTP_POST)
    except Exception as error:
        logger.warning("SPID logout response refused by pysaml2: %s: %s", type(error).__name__, error)
        raise SpidError(_("la risposta dell'identity provider non è valida.")) from error
    if response is None or response.response.signature is None:
        raise SpidError(_("la risposta dell'identity provider non è firmata."))
    with transaction.atomic():
        request = (
            SpidRequest.objects.select_for_update()
            .filter(
                request_id=response.in_response_to or "",
                kind=SpidRequest.Kind.LOGOUT,
                answered_at__isnull=True,
                created_at__gte=timezone.now() - LOGOUT_LIFETIME,
            )
            .first()
        )
        if request is None:
            raise SpidError(_("la risposta non corrisponde a una richiesta di uscita del portale."))
        request.answered_at = timezone.now()
        request.save(update_fields=["answered_at"])
    if response.response.status.status_code.value != samlp.STATUS_SUCCESS:
        raise SpidError(_("l'identity provider non ha confermato l'uscita."))


def idp_logout_handle(*, saml_request: str, relay_state: str = "") -> PostForm:
    """An IdP's LogoutRequest: close the portal's sessions of that entry, answer with a signed LogoutResponse."""
    client = SpidClient(sp_config())
    try:
        request = client.parse_logout_request(saml_request, BINDING_HTTP_POST)
    except Exception as error:
        logger.warning("SPID logout request refused by pysaml2: %s: %s", type(error).__name__, error)
        raise SpidError(_("la richiesta di uscita non è valida.")) from error
    message = request.message if request is not None else None
    if message is None or message.signature is None:
        raise SpidError(_("la richiesta di uscita non è firmata."))
    issuer = message.issuer.text if message.issuer is not None else ""
    if not IdentityProvider.objects.filter(entity_id=issuer, active=True).exists():
        raise SpidError(_("la richiesta di uscita viene da un identity provider sconosciuto."))
    indexes = [index.text for index in message.session_index]
    closed = sessions_close(idp_entity_id=issuer, session_indexes=indexes)
    logger.info("SPID logout from %s: %s session(s) closed", issuer, closed)
    response = client.create_logout_response(
        message, [BINDING_HTTP_POST], sign=True, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256
    )
    destination = client.response_args(message, [BINDING_HTTP_POST])["destination"]
    info = client.apply_binding(BINDING_HTTP_POST, str(response), destination, relay_state=relay_state, response=True)
    return posted_form(str(info["data"]), "SAMLResponse")


def sessions_close(*, idp_entity_id: str, session_indexes: list[str]) -> int:
    """Delete the portal's sessions opened by the entries the IdP names; the entries are marked logged out."""
    records = LoginRecord.objects.filter(
        idp_entity_id=idp_entity_id, session_index__in=session_indexes, logged_out_at__isnull=True
    ).exclude(session_key="")
    store = import_module(settings.SESSION_ENGINE).SessionStore
    closed = 0
    for record in records:
        store(session_key=record.session_key).delete()
        closed += 1
    records.update(logged_out_at=timezone.now())
    return closed
