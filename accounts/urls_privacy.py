"""URLs of accounts' privacy pages, included in the accounts namespace by accounts/urls.py."""

from django.urls import path

from . import views_privacy as views

urlpatterns = [
    path("famiglia/privacy/", views.privacy_center, name="privacy_center"),
    path("famiglia/privacy/dati.zip", views.privacy_export, name="privacy_export"),
    path("famiglia/privacy/cancellazione/", views.deletion_request, name="deletion_request"),
]
