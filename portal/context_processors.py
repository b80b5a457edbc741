from django.conf import settings
from django.utils.translation import gettext


def comune(request):
    return {
        "COMUNE": {
            "name": settings.PORTAL_COMUNE_NAME,
            "subtitle": gettext(settings.PORTAL_COMUNE_SUBTITLE),  # the default is in the catalog
            "logo": settings.PORTAL_COMUNE_LOGO,
            "website": settings.PORTAL_COMUNE_WEBSITE,
            "address": settings.PORTAL_COMUNE_ADDRESS,
            "email": settings.PORTAL_COMUNE_EMAIL,
            "fiscal_code": settings.PAGOPA_CREDITOR_FISCAL_CODE,
        }
    }
