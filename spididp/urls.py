"""Routes of the SPID and CIE test IdPs, mounted at /spid-prova/ only with the other fakes."""

from django.urls import path

from . import views

app_name = "spididp"

urlpatterns = [
    path("metadata/", views.metadata, {"kind": "spid"}, name="metadata"),
    path("sso/", views.sso, {"kind": "spid"}, name="sso"),
    path("slo/", views.slo, {"kind": "spid"}, name="slo"),
    path("cie/metadata/", views.metadata, {"kind": "cie"}, name="cie_metadata"),
    path("cie/sso/", views.sso, {"kind": "cie"}, name="cie_sso"),
    path("cie/slo/", views.slo, {"kind": "cie"}, name="cie_slo"),
]
