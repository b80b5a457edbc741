"""The test IdP's pages: its metadata, and the login page where one picks a demo citizen (and, for the tests, a
wrong answer); the response is posted back to the portal by the browser."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import idp


@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    return HttpResponse(idp.metadata_xml(), content_type="application/samlmetadata+xml")


@csrf_exempt  # the service provider's AuthnRequest, posted cross-site by the browser
@require_POST
def sso(request: HttpRequest) -> HttpResponse:
    saml_request = request.POST.get("SAMLRequest", "")
    if "citizen" not in request.POST:
        context = {"saml_request": saml_request, "citizens": idp.CITIZENS, "modes": idp.MODES}
        return render(request, "spididp/choose.html", context)
    citizen = idp.CITIZENS[int(request.POST["citizen"]) % len(idp.CITIZENS)]
    mode = request.POST.get("mode", "ok")
    action, saml_response = idp.response_for(saml_request=saml_request, citizen=citizen, mode=mode)
    return render(request, "spididp/post.html", {"action": action, "saml_response": saml_response})
