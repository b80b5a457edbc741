from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    default = True
    name = "portal"
    verbose_name = _("Portale")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate
        from django.urls import register_converter

        from . import io  # noqa: F401 - its deployment checks register themselves on import
        from .converters import IdConverter

        register_converter(IdConverter, "id")
        post_migrate.connect(_site_sync, sender=self, dispatch_uid="portal.site_sync")


def _site_sync(sender, using="default", **kwargs) -> None:
    """The Site allauth and the letters use for absolute links outside a request follows the settings."""
    from django.conf import settings
    from django.contrib.sites.models import Site

    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": settings.PORTAL_DOMAIN, "name": settings.PORTAL_COMUNE_NAME[:50]}
    )


class PortalAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "portal.admin_site.PortalAdminSite"
