from django.conf import settings


def comune(request):
    return {
        "COMUNE": {
            "name": settings.PORTAL_COMUNE_NAME,
            "subtitle": settings.PORTAL_COMUNE_SUBTITLE,
            "logo": settings.PORTAL_COMUNE_LOGO,
            "website": settings.PORTAL_COMUNE_WEBSITE,
            "address": settings.PORTAL_COMUNE_ADDRESS,
            "email": settings.PORTAL_COMUNE_EMAIL,
            "fiscal_code": settings.PAGOPA_CREDITOR_FISCAL_CODE,
        }
    }
