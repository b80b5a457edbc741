"""Never-verified accounts are deleted after the office's period (issue 11, finding 4), freeing the codice fiscale."""

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Consent, Guardianship, User
from portal.models import RetentionPolicy
from tests.conftest import make_user

from .test_registration import NEW_CF, signup_data

pytestmark = pytest.mark.django_db

LATER = datetime.timedelta(days=8)


@pytest.fixture
def signup(client, django_capture_on_commit_callbacks, legal_documents):
    def _signup(**overrides):
        client.logout()
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("account_signup"), signup_data(**overrides))

    return _signup


def test_unverified_signup_is_purged_after_seven_days_and_the_cf_can_register_again(signup):
    signup(email="prima@example.it")
    first = User.objects.get(codice_fiscale=NEW_CF)
    assert not EmailAddress.objects.get(user=first).verified
    assert Consent.objects.filter(user=first).exists()

    # Today: the codice fiscale is taken, a second signup creates nothing.
    signup(email="seconda@example.it")
    assert list(User.objects.values_list("email", flat=True)) == ["prima@example.it"]

    now = timezone.now()
    assert services.user_unverified_purge(now=now + datetime.timedelta(days=6), dry_run=False) == 0
    assert services.user_unverified_purge(now=now + LATER, dry_run=True) == 1
    assert User.objects.filter(pk=first.pk).exists()

    assert services.user_unverified_purge(now=now + LATER, dry_run=False) == 1
    assert not User.objects.filter(pk=first.pk).exists()
    assert not EmailAddress.objects.filter(email="prima@example.it").exists()
    assert not Consent.objects.filter(user_id=first.pk).exists()

    response = signup(email="seconda@example.it")
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    second = User.objects.get(codice_fiscale=NEW_CF)
    assert second.email == "seconda@example.it"
    assert EmailAddress.objects.filter(user=second, email="seconda@example.it").exists()


def test_verified_staff_signed_in_and_linked_accounts_are_kept(legal_documents, giulia):
    long_ago = timezone.now() - datetime.timedelta(days=30)
    verified = make_user(codice_fiscale="BNCLCU82L04F205H", email="verificato@example.it", verified=True)
    staff = make_user(codice_fiscale="UFFSCL80A01H501X", email="ufficio@example.it", verified=False, is_staff=True)
    signed_in_once = make_user(codice_fiscale="VRDGPP80A01H501U", email="entrato@example.it", verified=False)
    signed_in_once.last_login = long_ago
    linked = make_user(codice_fiscale="NREMRC75C10H501X", email="legato@example.it", verified=False)
    Guardianship.objects.create(adult=linked, child=giulia, role=Guardianship.Role.DELEGATE)
    gone = make_user(codice_fiscale="SPSNNA90B42F839U", email="mai@example.it", verified=False)
    for user in (verified, staff, signed_in_once, linked, gone):
        user.date_joined = long_ago
        user.save()

    assert services.user_unverified_purge(now=timezone.now(), dry_run=True) == 1
    assert services.user_unverified_purge(now=timezone.now(), dry_run=False) == 1
    assert set(User.objects.values_list("email", flat=True)) == {
        "maria.rossi@example.it",
        "verificato@example.it",
        "ufficio@example.it",
        "entrato@example.it",
        "legato@example.it",
    }


def test_the_office_period_decides(legal_documents):
    user = make_user(codice_fiscale="SPSNNA90B42F839U", email="mai@example.it", verified=False)
    now = user.date_joined + datetime.timedelta(days=3)
    assert services.user_unverified_purge(now=now, dry_run=True) == 0
    RetentionPolicy.objects.create(pk=1, unverified_account_days=2)
    assert services.user_unverified_purge(now=now, dry_run=False) == 1
    assert not User.objects.filter(pk=user.pk).exists()
