"""The bench's families, written in process on the bench database (`python -m bench.load --worker families`):
the demo data (documents, schools, windows: next year's enrollment window is open) and N parents who can sign in
with the demo password (verified e-mail, consents given), one primary-school child each. Bulk inserts, one
password hash computed once (PBKDF2 takes half a second per hash here)."""

import json


def _cf(prefix: str, number: int) -> str:
    return f"{prefix}{number:010d}"  # 16 upper-case characters, as the models require (not a checked CF)


def families_create(count: int, path: str) -> dict:
    import datetime

    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from accounts.models import Child, Consent, Guardianship, LegalDocument, User
    from enrollment.models import EnrollmentWindow
    from portal.site.demo import DEMO_PASSWORD, seed_demo

    seed_demo()
    password = make_password(DEMO_PASSWORD)
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(
                    codice_fiscale=_cf("LDPRNT", n),
                    email=f"genitore{n}@bench.example.it",
                    first_name="Genitore",
                    last_name=f"Numero {n}",
                    password=password,
                )
                for n in range(count)
            ],
            batch_size=1000,
        )
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users], batch_size=1000
        )
        documents = list(LegalDocument.objects.exclude(published_at=None))
        Consent.objects.bulk_create([Consent(user=u, document=d) for u in users for d in documents], batch_size=1000)
        children = Child.objects.bulk_create(
            [
                Child(
                    codice_fiscale=_cf("LDCHLD", n),
                    first_name="Bambino",
                    last_name=f"Numero {n}",
                    birth_date=datetime.date(2018, 5, 1),
                    sex="M" if n % 2 else "F",
                )
                for n in range(count)
            ],
            batch_size=1000,
        )
        Guardianship.objects.bulk_create(
            [
                Guardianship(adult=user, child=child, role=Guardianship.Role.REFERENCE)
                for user, child in zip(users, children, strict=True)
            ],
            batch_size=1000,
        )
    windows = [w.pk for w in EnrollmentWindow.objects.order_by("-opens_at") if w.is_open()][:1]
    families = [{"cf": u.codice_fiscale, "child": c.pk} for u, c in zip(users, children, strict=True)]
    with open(path, "w", encoding="utf-8") as out:
        json.dump({"families": families, "windows": windows, "password": DEMO_PASSWORD}, out)
    return {"families": count, "windows": windows}
