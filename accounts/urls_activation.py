"""URLs of accounts' activation pages, included in the accounts namespace by accounts/urls.py."""

urlpatterns: list = []
