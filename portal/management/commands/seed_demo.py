from django.conf import settings
from django.core.management.base import BaseCommand

from portal.site.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Load the demo Comune's documents, one office user and two parents (idempotent); print credentials."

    def handle(self, *args, **options):
        people = seed_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready for {settings.PORTAL_COMUNE_NAME}."))
        self.stdout.write("Sign in at http://127.0.0.1:8000/account/login/ with codice fiscale or e-mail:")
        for person in people:
            role = "ufficio scuola (admin: /admin/, asks to set up TOTP)" if person.is_staff else "genitore"
            if person.school_staff:
                role = "segreteria della scuola Rodari (/pagamenti/scuola/eventi/)"
            self.stdout.write(f"  {person.codice_fiscale}  {person.email:36}  {role}")
        self.stdout.write(f"Password for all of them: {DEMO_PASSWORD}")
        self.stdout.write(
            "Imported family waiting to register: Chiara Ferrari, FRRCHR84L61F205A (print her activation letter "
            "in the admin under 'Adulti importati', then register with that codice fiscale and enter the code; "
            "or choose 'Entra con SPID', 'IdP di prova', Chiara Ferrari: her children are linked without the code)."
        )
