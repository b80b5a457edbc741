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
