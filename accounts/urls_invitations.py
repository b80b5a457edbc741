"""URLs of accounts' invitations pages, included in the accounts namespace by accounts/urls.py."""

urlpatterns: list = []
