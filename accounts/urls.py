from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("famiglia/", views.family, name="family"),
    path("famiglia/profilo/", views.profile_edit, name="profile_edit"),
    path("consenso/", views.consent, name="consent"),
    path("condizioni-d-uso/", views.terms, name="terms"),
    path("privacy/", views.privacy, name="privacy"),
]
