"""Entering with SPID or CIE: the choice of the identity provider sends a signed request (posted by the browser),
and the assertion consumer service checks the answer and signs the person in, or says why not ("Accesso non
riuscito"). Leaving sends the IdP a signed logout request; the IdP may also close the portal's session."""

import datetime
import logging
from dataclasses import replace

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.views.activation import claim_announce

from .forms import EmailForm
from .logout import idp_logout_handle, logout_request_for, logout_response_check
from .metadata import sp_metadata_xml
from .models import IdentityProvider, LoginRecord
from .saml import PostForm, SpidError, SpidIdentity, authn_request, authn_response_check
from .services import spid_email_usable, spid_entry_complete, spid_user_existing, spid_user_for

logger = logging.getLogger(__name__)
BACKEND = "portal.site.backends.AuthenticationBackend"
SESSION_RECORD = "spid_login_record"  # the LoginRecord of this session's SPID/CIE entry (for single logout)
SESSION_LOGOUT = "spid_logout_record"  # set after the portal's logout: the IdP is to be told next
SESSION_PENDING = "spid_pending_identity"  # a new parent's checked identity, waiting for an e-mail address
PENDING_LIFETIME = datetime.timedelta(minutes=15)
PENDING_FIELDS = ("fiscal_code", "first_name", "last_name", "email", "level", "name_id", "session_index")


def _failure(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "spid/failure.html", {"reason": reason}, status=400)


def _post_page(request: HttpRequest, form: PostForm, *, heading: str, message: str) -> HttpResponse:
    response = render(request, "spid/post.html", {"form": form, "heading": heading, "message": message})
    # The page posts to the IdP: the Content-Security-Policy's form-action allows that one origin, for this page.
    response._csp_update = {"form-action": [form.origin]}  # type: ignore[attr-defined]
    return response


def _heading(idp: IdentityProvider) -> str:
    return _("Accesso con CIE") if idp.kind == IdentityProvider.Kind.CIE else _("Accesso con SPID")


@require_GET
def spid_login(request: HttpRequest) -> HttpResponse:
    idp = IdentityProvider.objects.filter(pk=request.GET.get("idp") or 0, active=True).first()
    if idp is None:
        return _failure(request, _("scegli il tuo identity provider dall'elenco."))
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    try:
        form = authn_request(idp=idp, next_url=next_url)
    except SpidError as error:
        return _failure(request, str(error))
    message = _("Ti stiamo portando a %(name)s.") % {"name": idp.name}
    return _post_page(request, form, heading=_heading(idp), message=message)


@csrf_exempt  # a cross-site POST from the identity provider, checked by its signature
@require_POST
def spid_acs(request: HttpRequest) -> HttpResponse:
    try:
        identity, spid_request = authn_response_check(saml_response=request.POST.get("SAMLResponse", ""))
        user = spid_user_existing(identity=identity)
        if user is None and not spid_email_usable(identity.email):
            _pending_store(request, identity, spid_request.next_url)
            return redirect("spid:complete")
        if user is None:
            user, _created = spid_user_for(identity=identity)
    except SpidError as error:
        logger.warning("SPID login refused: %s", error)
        return _failure(request, str(error))
    return _sign_in(request, user, identity, spid_request.next_url)


def _sign_in(request: HttpRequest, user: User, identity: SpidIdentity, next_url: str) -> HttpResponse:
    request.spid_login = True  # type: ignore[attr-defined]  # recorded below with its level, not as a password
    login(request, user, backend=BACKEND)
    if request.session.session_key is None:
        request.session.save()
    entry = spid_entry_complete(user=user, identity=identity, session_key=request.session.session_key or "")
    request.session["spid_level"] = identity.level
    request.session[SESSION_RECORD] = entry.record.pk
    claim_announce(request, entry.claimed)
    if entry.password_retired:
        messages.info(
            request,
            _("Da ora entri solo con SPID o CIE: la password del portale non vale più. I tuoi dati restano."),
            fail_silently=True,
        )
    return redirect(next_url or "accounts:family")


def _pending_store(request: HttpRequest, identity: SpidIdentity, next_url: str) -> None:
    """A new parent whose identity brought no usable e-mail: the checked identity waits in the session (a few
    minutes) for the address; nobody is signed in meanwhile."""
    fields = {name: getattr(identity, name) for name in PENDING_FIELDS}
    request.session[SESSION_PENDING] = {
        **fields,
        "idp": identity.idp.pk,
        "next": next_url,
        "until": (timezone.now() + PENDING_LIFETIME).timestamp(),
    }


def _pending_identity(request: HttpRequest) -> tuple[SpidIdentity, str] | None:
    pending = request.session.get(SESSION_PENDING)
    if not pending or pending.get("until", 0) < timezone.now().timestamp():
        return None
    idp = IdentityProvider.objects.filter(pk=pending["idp"]).first()
    if idp is None:
        return None
    identity = SpidIdentity(idp=idp, **{name: pending[name] for name in PENDING_FIELDS})
    return identity, pending["next"]


@require_http_methods(["GET", "POST"])
def spid_complete(request: HttpRequest) -> HttpResponse:
    """The e-mail of a new SPID/CIE account: asked once, what was typed kept on an error."""
    found = _pending_identity(request)
    if found is None:
        return _failure(request, _("la richiesta di accesso è scaduta: entra di nuovo con SPID o CIE."))
    identity, next_url = found
    form = EmailForm(request.POST or None, initial={"email": identity.email})
    if request.method == "POST" and form.is_valid():
        identity = replace(identity, email=form.cleaned_data["email"])
        try:
            user, _created = spid_user_for(identity=identity)
        except SpidError as error:
            form.add_error("email", str(error))
        else:
            del request.session[SESSION_PENDING]
            return _sign_in(request, user, identity, next_url)
    context = {"form": form, "identity": identity, "taken": bool(identity.email) and request.method == "GET"}
    return render(request, "spid/complete.html", context, status=400 if form.errors else 200)


@require_GET
def spid_logout_start(request: HttpRequest) -> HttpResponse:
    """After the portal's logout: tell the IdP of the entry (single logout); without SLO, the home page."""
    record_id = request.session.pop(SESSION_LOGOUT, None)
    record = LoginRecord.objects.filter(pk=record_id or 0, logged_out_at__isnull=True).first()
    form = logout_request_for(record=record) if record is not None else None
    if record is not None:
        LoginRecord.objects.filter(pk=record.pk).update(logged_out_at=timezone.now())
    if form is None:
        return redirect("home")
    message = _("Ti stiamo facendo uscire anche dalla tua identità digitale.")
    return _post_page(request, form, heading=_("Uscita"), message=message)


@csrf_exempt  # the IdP's LogoutRequest or LogoutResponse, posted cross-site, checked by its signature
@require_POST
def spid_slo(request: HttpRequest) -> HttpResponse:
    if "SAMLRequest" in request.POST:
        try:
            form = idp_logout_handle(
                saml_request=request.POST["SAMLRequest"], relay_state=request.POST.get("RelayState", "")[:200]
            )
        except SpidError as error:
            logger.warning("SPID logout request refused: %s", error)
            return _failure(request, str(error))
        return _post_page(request, form, heading=_("Uscita"), message=_("Sei uscito dal portale."))
    try:
        logout_response_check(saml_response=request.POST.get("SAMLResponse", ""))
    except SpidError as error:
        logger.warning("SPID logout response refused: %s", error)
        return render(request, "spid/logged_out.html", {"reason": str(error)}, status=400)
    return render(request, "spid/logged_out.html", {"reason": ""})


@require_GET
def spid_metadata(request: HttpRequest, kind: str = "spid") -> HttpResponse:
    return HttpResponse(sp_metadata_xml(kind), content_type="application/samlmetadata+xml")
