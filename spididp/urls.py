"""Routes of the SPID test IdP, mounted at /spid-prova/ only with the other fakes."""

from django.urls import path

from . import views

app_name = "spididp"

urlpatterns = [
    path("metadata/", views.metadata, name="metadata"),
    path("sso/", views.sso, name="sso"),
]
