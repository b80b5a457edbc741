"""Delegates: shared fixtures and helpers."""

import datetime

import pytest

from accounts import services
from accounts.models import Guardianship
from tests.conftest import make_user

BASE_URL = "https://portale.example.it/"
MARCO = {
    "codice_fiscale": "RSSMRC20P05H501X",
    "first_name": "Marco",
    "last_name": "Rossi",
    "birth_date": datetime.date(2020, 9, 5),
    "sex": "M",
}
ANNA = {
    "codice_fiscale": "BNCNNA19B41F205J",
    "first_name": "Anna",
    "last_name": "Bianchi",
    "birth_date": datetime.date(2019, 2, 1),
    "sex": "F",
}
PAOLO_CF = "VRDPLA80D10H501X"
PAOLO_EMAIL = "paolo.verdi@example.it"


@pytest.fixture
def marco(parent):
    return services.child_add(adult=parent, **MARCO)


@pytest.fixture
def anna(other_parent):
    """Family B's child."""
    return services.child_add(adult=other_parent, **ANNA)


@pytest.fixture
def paolo(legal_documents):
    """The adult Maria invites (already registered)."""
    return make_user(
        codice_fiscale=PAOLO_CF, email=PAOLO_EMAIL, first_name="Paolo", last_name="Verdi", documents=legal_documents
    )


@pytest.fixture
def staff(legal_documents):
    return make_user(
        codice_fiscale="VRDGLI79P61A944R",
        email="ufficio@example.it",
        first_name="Giulia",
        last_name="Verdi",
        is_staff=True,
        documents=legal_documents,
    )


def invite(inviter, children, *, email=PAOLO_EMAIL, codice_fiscale=PAOLO_CF):
    return services.invitation_create(
        inviter=inviter, children=children, email=email, codice_fiscale=codice_fiscale, base_url=BASE_URL
    )


def make_delegate(inviter, children, adult):
    invitation = invite(inviter, children, email=adult.email, codice_fiscale=adult.codice_fiscale)
    services.invitation_accept(user=adult, token=invitation.token)
    return Guardianship.objects.get(adult=adult, child=children[0], revoked_at__isnull=True)
