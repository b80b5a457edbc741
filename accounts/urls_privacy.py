"""URLs of accounts' privacy pages, included in the accounts namespace by accounts/urls.py."""

urlpatterns: list = []
