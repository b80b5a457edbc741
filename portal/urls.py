from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts.urls import app_name as accounts_namespace

from . import health
from .site import urls as site_urls

urlpatterns = [
    path("", include(site_urls.urlpatterns)),
    path("healthz", health.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", include("allauth.urls")),
    path("spid/", include("spid.urls")),
    # accounts' pages and the family dashboard under one namespace: see portal/site/urls.py.
    path("", include((site_urls.accounts_patterns, accounts_namespace))),
    path("iscrizioni/", include("enrollment.urls")),
    path("pagamenti/", include("payments.urls")),
    path("mensa/", include("canteen.urls")),
    path("admin/", admin.site.urls),
]

if settings.PAYMENTS_MOCK_ENABLED:
    urlpatterns.append(path("mockpsp/", include("mockpsp.urls")))
    urlpatterns.append(path("spid-prova/", include("spididp.urls")))
if settings.IO_MOCK_ENABLED:
    urlpatterns.append(path("mockio/", include("mockio.urls")))
