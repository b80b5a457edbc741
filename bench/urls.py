"""URLs for the HTTP benchmark only (DJANGO_ROOT_URLCONF=bench.urls): the portal plus a constant view.

The constant view is the floor of the stack (gunicorn, WSGI, every middleware) with no database work of
its own, so the family page can be compared with it on the same machine at the same moment.
Production never loads this module.
"""

from django.http import HttpResponse
from django.urls import path

import portal.urls


def constant_view(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/constant", constant_view), *portal.urls.urlpatterns]
