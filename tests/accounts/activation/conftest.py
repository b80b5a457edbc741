"""Imported families: shared fixtures and helpers."""

import datetime
import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from accounts import services
from accounts.models import Child, Guardianship, ImportedAdult
from tests.conftest import make_user

CODE_SHAPE = re.compile(r"^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{4}(-[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{4}){2}$")


def import_family(*, codice_fiscale: str, first_name: str, last_name: str, email: str = "", children=()):
    """What the CSV import leaves behind: an ImportedAdult and its children, with no guardianship."""
    adult = ImportedAdult.objects.create(
        codice_fiscale=codice_fiscale, first_name=first_name, last_name=last_name, email=email
    )
    for cf, name, birth_date, sex in children:
        Child.objects.create(
            codice_fiscale=cf,
            first_name=name,
            last_name=last_name,
            birth_date=birth_date,
            sex=sex,
            imported_from=adult,
        )
    return adult


@pytest.fixture
def staff(legal_documents):
    user = make_user(
        codice_fiscale="VRDGLI79P61A944R",
        email="ufficio@example.it",
        documents=legal_documents,
        is_staff=True,
        is_superuser=True,
    )
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def rossi(parent):
    """The imported family of the `parent` fixture (same CF): Giulia and Luca."""
    return import_family(
        codice_fiscale=parent.codice_fiscale,
        first_name="Maria",
        last_name="Rossi",
        email="maria.vecchia@example.it",
        children=[
            ("RSSGLI18C52H501V", "Giulia", datetime.date(2018, 3, 12), "F"),
            ("RSSLCU15A01H501W", "Luca", datetime.date(2015, 1, 1), "M"),
        ],
    )


@pytest.fixture
def bianchi(other_parent):
    """The imported family of `other_parent`: Sofia."""
    return import_family(
        codice_fiscale=other_parent.codice_fiscale,
        first_name="Luca",
        last_name="Bianchi",
        children=[("BNCSFO16D45F205Z", "Sofia", datetime.date(2016, 4, 5), "F")],
    )


def claim_with_a_new_letter(family, user, staff):
    return services.imported_family_claim(
        user=user, code=services.activation_letter_issue(imported_adult=family, actor=staff)
    )


def children_of(user) -> set[str]:
    return set(
        Guardianship.objects.filter(adult=user, revoked_at__isnull=True).values_list("child__first_name", flat=True)
    )
