"""URLs of the site's pages.

`urlpatterns`: home and accessibility statement (no namespace, as before).

`accounts_patterns`: the family dashboard keeps its name `accounts:family` and its path `/famiglia/`, which
every template and redirect uses; but its view reads enrollment and payments, so it lives here, above them,
and accounts (a lower layer) may not import it. The clean way to keep one namespace is to build it in one
place: this list is accounts' own patterns (accounts/urls.py, which knows nothing of the dashboard) plus the
dashboard's route, and portal/urls.py includes it once under the "accounts" namespace with
`include((accounts_patterns, "accounts"))`. `reverse("accounts:family")` and every other `accounts:` name
resolve as before; accounts/urls.py must not be included on its own anywhere else (the namespace would be
registered twice).
"""

from django.urls import URLPattern, URLResolver, path

from accounts import urls as accounts_urls

from . import pwa, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("accessibilita/", views.accessibility, name="accessibility"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
]

accounts_patterns: list[URLPattern | URLResolver] = [
    path("famiglia/", views.family_dashboard, name="family"),
    *accounts_urls.urlpatterns,
]
