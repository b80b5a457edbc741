from django.core.management.base import BaseCommand, CommandError

from spid import conf
from spid.models import IdentityProvider
from spid.registry import RegistryError, identity_providers_apply, identity_providers_refresh, registry_entries


class Command(BaseCommand):
    help = (
        "Load the identity providers from the SPID registry and CIE ID's metadata (SPID_REGISTRY_URL, "
        "CIE_METADATA_URL), or from a file (--file, --kind)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", help="a metadata file to load instead of the published addresses")
        parser.add_argument("--kind", choices=[k.value for k in IdentityProvider.Kind], default="spid")

    def handle(self, *args, **options):
        if options["file"]:
            with open(options["file"], "rb") as handle:
                document = handle.read()
            cert = conf.registry_cert_file() if options["kind"] == "spid" else ""
            try:
                entries = registry_entries(document, cert_file=cert)
            except RegistryError as error:
                raise CommandError(str(error)) from error
            outcomes = {options["kind"]: identity_providers_apply(entries=entries, kind=options["kind"])}
        else:
            outcomes = identity_providers_refresh()
        for kind, outcome in outcomes.items():
            self.stdout.write(
                f"{kind}: {outcome.added} added, {outcome.updated} updated, {outcome.deactivated} deactivated"
            )
