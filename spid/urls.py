from django.urls import path

from . import views

app_name = "spid"

urlpatterns = [
    path("accedi/", views.spid_login, name="login"),
    path("acs/", views.spid_acs, name="acs"),
    path("completa/", views.spid_complete, name="complete"),
    path("metadata/", views.spid_metadata, name="metadata"),
    path("metadata/cie/", views.spid_metadata, {"kind": "cie"}, name="metadata_cie"),
    path("esci/", views.spid_logout_start, name="logout"),
    path("slo/", views.spid_slo, name="slo"),
]
