"""Entering with SPID: the choice of the identity provider sends a signed request (posted by the browser), and the
assertion consumer service checks the answer and signs the person in, or says why not ("Accesso non riuscito")."""

import logging
import re
from urllib.parse import urlsplit

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .models import IdentityProvider
from .saml import SpidError, authn_request, authn_response_check, sp_metadata_xml
from .services import login_record, spid_user_for

logger = logging.getLogger(__name__)
BACKEND = "portal.site.backends.AuthenticationBackend"
_FORM = re.compile(r'action="(?P<action>[^"]+)".*name="SAMLRequest" value="(?P<request>[^"]+)"', re.DOTALL)


def _failure(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "spid/failure.html", {"reason": reason}, status=400)


@require_GET
def spid_login(request: HttpRequest) -> HttpResponse:
    idp = IdentityProvider.objects.filter(pk=request.GET.get("idp") or 0, active=True).first()
    if idp is None:
        return _failure(request, _("scegli il tuo identity provider dall'elenco."))
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    found = _FORM.search(authn_request(idp=idp, next_url=next_url))
    if found is None:  # pragma: no cover - pysaml2 always builds this form
        return _failure(request, _("non è stato possibile preparare la richiesta."))
    context = {"action": found["action"], "saml_request": found["request"], "idp": idp}
    response = render(request, "spid/post.html", context)
    # The page posts to the IdP: the Content-Security-Policy's form-action allows that one origin, for this page.
    response._csp_update = {"form-action": [_origin(found["action"])]}  # type: ignore[attr-defined]
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@csrf_exempt  # a cross-site POST from the identity provider, checked by its signature
@require_POST
def spid_acs(request: HttpRequest) -> HttpResponse:
    try:
        identity, spid_request = authn_response_check(saml_response=request.POST.get("SAMLResponse", ""))
        user, _created = spid_user_for(identity=identity)
    except SpidError as error:
        logger.warning("SPID login refused: %s", error)
        return _failure(request, str(error))
    request.spid_login = True  # type: ignore[attr-defined]  # recorded below with its level, not as a password
    login(request, user, backend=BACKEND)
    login_record(user=user, identity=identity)
    request.session["spid_level"] = identity.level
    return redirect(spid_request.next_url or "accounts:family")


@require_GET
def spid_metadata(request: HttpRequest) -> HttpResponse:
    return HttpResponse(sp_metadata_xml(), content_type="application/samlmetadata+xml")
