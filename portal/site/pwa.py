"""The installable portal: the web app manifest, the service worker (served from the site's root, so its scope is
the whole site) and the offline page.

The worker keeps only what is the same for everyone: the offline page, the stylesheets, scripts, sprites and icons
(precached under a name that changes with them; older caches are deleted). Pages are always asked of the network,
and a page that cannot be reached shows the offline page: no personal page, document or answer is ever stored (the
Cache API ignores HTTP caching headers, so the worker decides; signed-in pages are also `Cache-Control: private,
no-store`, portal.middleware).
"""

import hashlib
import json

from bootstrap_italia_template.templatetags.django_bootstrap_italia import django_bootstrap_italia_static_path
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

THEME_COLOR = "#0066cc"  # Bootstrap Italia's primary blue


def _precache() -> list[str]:
    """The same-origin files of the shell (a theme served from a CDN is left to the browser's HTTP cache)."""
    files = [
        reverse("offline"),
        static("css/portal.css"),
        django_bootstrap_italia_static_path("css/bootstrap-italia.min.css"),
        django_bootstrap_italia_static_path("js/bootstrap-italia.bundle.min.js"),
        static("js/theme-fonts-path.js"),
        static("js/theme-fonts-load.js"),
        static("js/error-summary.js"),
        static("js/pwa.js"),
        static("svg/sprites.svg"),
        static("img/favicon.svg"),
        static("img/icons/icon-192.png"),
    ]
    return [path for path in files if path.startswith("/")]


@require_GET
@cache_control(max_age=3600, public=True)
def manifest(request: HttpRequest) -> JsonResponse:
    comune = settings.PORTAL_COMUNE_NAME
    icons = [
        {"src": static(f"img/icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
        for size in (192, 512)
    ] + [
        {
            "src": static(f"img/icons/maskable-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "maskable",
        }
        for size in (192, 512)
    ]
    data = {
        "name": f"Servizi scolastici — {comune}",
        "short_name": "Servizi scuola",
        "description": f"Iscrizioni, pagamenti pagoPA e mensa dei servizi scolastici del {comune}.",
        "lang": "it",
        "dir": "ltr",
        "id": "/",
        "start_url": reverse("accounts:family"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": "#ffffff",
        "icons": icons,
    }
    return JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    files = _precache()
    version = hashlib.sha256(json.dumps(files).encode()).hexdigest()[:12]
    response = render(
        request,
        "portal/sw.js",
        {"files_json": json.dumps(files), "version": version, "offline_url": reverse("offline")},
        content_type="text/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"  # the browser checks for a new worker at every visit
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
@cache_control(max_age=3600, public=True)
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/offline.html")
