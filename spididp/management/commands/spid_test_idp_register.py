from django.core.management.base import BaseCommand

from spid.models import IdentityProvider
from spididp.idp import entity_id, metadata_xml


class Command(BaseCommand):
    help = "Register (or refresh) the SPID test IdP among the portal's identity providers."

    def handle(self, *args, **options):
        IdentityProvider.objects.update_or_create(
            entity_id=entity_id(),
            defaults={"name": "IdP di prova", "metadata_xml": metadata_xml(), "active": True, "test": True},
        )
        self.stdout.write("SPID test IdP registered.")
