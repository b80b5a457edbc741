from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.mfa_secrets import authenticators_encrypt


class Command(BaseCommand):
    help = (
        "Encrypt the TOTP secrets and recovery-code seeds still stored in clear (migrate does it once); with --rotate "
        "re-encrypt all of them under the first key of MFA_ENCRYPTION_KEY (after putting a new key first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rotate", action="store_true", help="Re-encrypt every secret under the first key.")

    def handle(self, *args, rotate: bool, **options):
        try:
            with transaction.atomic():
                changed = authenticators_encrypt(Authenticator, rotate=rotate)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"{changed} authenticator(s) written."))
