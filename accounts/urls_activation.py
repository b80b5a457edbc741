"""URLs of accounts' activation pages, included in the accounts namespace by accounts/urls.py."""

from django.urls import path

from . import views_activation

urlpatterns = [
    path("famiglia/attiva/", views_activation.activate, name="activate"),
]
