from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accessibilita/", views.accessibility, name="accessibility"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("iscrizioni/", include("enrollment.urls")),
    path("pagamenti/", include("payments.urls")),
    path("admin/", admin.site.urls),
]

if settings.PAYMENTS_MOCK_ENABLED:
    urlpatterns.append(path("mockpsp/", include("mockpsp.urls")))
