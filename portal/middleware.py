from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin


class ExplicitLocaleMiddleware(MiddlewareMixin):
    """Italian first: the language is Italian unless the visitor chose another with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an Italian parent with an
    English phone would get a half-English portal; here only the explicit choice (cookie) counts.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        available = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        response.headers.setdefault("Content-Language", translation.get_language())
        patch_vary_headers(response, ("Cookie",))  # the language comes from a cookie
        return response


# What the portal's pages never use: the browser refuses these features to the page and to anything it embeds.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


LOGOUT_PATH = "/account/logout/"  # allauth's account_logout (portal/urls.py mounts allauth at /account/)
CLEAR_SITE_DATA = '"cache", "storage"'


class PrivacyHeadersMiddleware(MiddlewareMixin):
    """`Permissions-Policy` on every response; `Cache-Control: private, no-store` for a signed-in user.

    A page shown to a signed-in user carries personal data (children, payments, health): no shared proxy may
    keep it, nor the browser's back-forward cache or disk. A view that chose its own Cache-Control keeps it
    (the health-data download, the receipts, /healthz); static files are never touched (WhiteNoise answers
    them before this middleware, and the URL check covers the development server). Signing out clears what the
    browser kept of the site (`Clear-Site-Data`: caches, the service worker's included, and storage).
    """

    def process_response(self, request, response):
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.method == "POST" and request.path == LOGOUT_PATH and response.status_code in (200, 302):
            response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
        if "Cache-Control" in response.headers or request.path.startswith(settings.STATIC_URL):
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response.headers["Cache-Control"] = "private, no-store"
        return response
