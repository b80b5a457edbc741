"""URLs of accounts' invitations pages, included in the accounts namespace by accounts/urls.py."""

from django.urls import path

from . import views_invitations as views

urlpatterns = [
    path("famiglia/figli/<int:pk>/invita/", views.invite, name="invite"),
    path("famiglia/inviti/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("famiglia/inviti/<int:pk>/revoca/", views.invitation_revoke, name="invitation_revoke"),
    path("famiglia/deleghe/<int:pk>/revoca/", views.delegate_revoke, name="delegate_revoke"),
]
