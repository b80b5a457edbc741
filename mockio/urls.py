"""Routes of the fake IO, mounted at /mockio/ only when settings.IO_MOCK_ENABLED."""

from django.urls import path

from . import api, views

app_name = "mockio"

urlpatterns = [
    path("api/v1/profiles", api.profiles, name="api_profiles"),
    path("api/v1/messages", api.messages, name="api_messages"),
    path("api/v1/messages/<str:fiscal_code>/<str:message_id>", api.message, name="api_message"),
    path("inbox/", views.inbox, name="inbox"),
    path("controllo/", views.control, name="control"),
]
