"""The test IdPs' pages: their metadata, the login page where one picks a demo citizen (and, for the tests, a wrong
answer), and single logout; every answer is posted back to the portal by the browser."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import idp


@require_GET
def metadata(request: HttpRequest, kind: str) -> HttpResponse:
    return HttpResponse(idp.metadata_xml(kind), content_type="application/samlmetadata+xml")


@csrf_exempt  # the service provider's AuthnRequest, posted cross-site by the browser
@require_POST
def sso(request: HttpRequest, kind: str) -> HttpResponse:
    saml_request = request.POST.get("SAMLRequest", "")
    refusal = idp.request_refusal(saml_request=saml_request, kind=kind)
    if refusal is not None:  # as a real IdP: an error page, no answer to the SP
        refused = {"idp_name": idp.KINDS[kind]["name"], "reason": refusal}
        return render(request, "spididp/refused.html", refused, status=400)
    if "citizen" not in request.POST:
        context: dict[str, object] = {
            "saml_request": saml_request,
            "relay_state": request.POST.get("RelayState", ""),
            "citizens": idp.CITIZENS,
            "modes": idp.MODES,
            "idp_name": idp.KINDS[kind]["name"],
        }
        return render(request, "spididp/choose.html", context)
    chosen = request.POST["citizen"]
    citizen = idp.CITIZENS[int(chosen) % len(idp.CITIZENS) if chosen.isdigit() else 0]
    mode = request.POST.get("mode", "ok")
    action, saml_response = idp.response_for(saml_request=saml_request, citizen=citizen, mode=mode, kind=kind)
    context = {"action": action, "saml_response": saml_response, "relay_state": request.POST.get("RelayState", "")}
    return render(request, "spididp/post.html", context)


@csrf_exempt  # the service provider's LogoutRequest, posted cross-site by the browser
@require_POST
def slo(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        action, saml_response = idp.logout_response_for(saml_request=request.POST.get("SAMLRequest", ""), kind=kind)
    except Exception as error:  # the fake refuses what a real IdP refuses: unsigned, wrongly signed, malformed
        return HttpResponse(f"LogoutRequest rifiutata: {type(error).__name__}", status=400, content_type="text/plain")
    context = {"action": action, "saml_response": saml_response, "relay_state": request.POST.get("RelayState", "")}
    return render(request, "spididp/post.html", context)
