from django.urls import include, path

from . import views

app_name = "accounts"

urlpatterns = [
    path("famiglia/", views.family, name="family"),
    path("famiglia/profilo/", views.profile_edit, name="profile_edit"),
    path("famiglia/figli/aggiungi/", views.child_add, name="child_add"),
    path("famiglia/figli/<int:pk>/", views.child_detail, name="child_detail"),
    path("consenso/", views.consent, name="consent"),
    path("condizioni-d-uso/", views.terms, name="terms"),
    path("privacy/", views.privacy, name="privacy"),
    path("", include("accounts.urls_activation")),
    path("", include("accounts.urls_invitations")),
    path("", include("accounts.urls_privacy")),
]
