from django.core.management.base import BaseCommand

from spid.models import IdentityProvider
from spididp.idp import KINDS, entity_id, metadata_xml


class Command(BaseCommand):
    help = "Register (or refresh) the SPID and CIE test IdPs among the portal's identity providers."

    def handle(self, *args, **options):
        for kind, info in KINDS.items():
            IdentityProvider.objects.update_or_create(
                entity_id=entity_id(kind),
                defaults={
                    "kind": kind,
                    "name": info["name"],
                    "metadata_xml": metadata_xml(kind),
                    "active": True,
                    "test": True,
                },
            )
        self.stdout.write("SPID and CIE test IdPs registered.")
