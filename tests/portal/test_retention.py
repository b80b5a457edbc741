"""The retention purge at the top (issue 11, finding 4): the office's periods in the admin (Italian), the nightly
job and the `retention_purge` command over every purger, and the privacy notice stating the periods."""

import datetime
import io
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from enrollment.models import Enrollment, MedicalDiet
from portal.models import RetentionPolicy, RetentionRun
from portal.site import retention
from portal.site.tasks import retention_purge_task
from tests.conftest import make_user
from tests.enrollment.factories import ChildFactory, SchoolYearFactory, ServiceFactory, enrollment_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def past_due(legal_documents):
    """One of each: a medical diet and an ISEE of a school year long over, an account never verified for 30 days."""
    enrollment = enrollment_make(
        status=Enrollment.Status.ACCEPTED,
        child=ChildFactory(codice_fiscale="MDCMRT18A41H501Q"),
        service=ServiceFactory(),
        school_year=SchoolYearFactory(start=2020),
        diet=Enrollment.Diet.MEDICAL,
        isee_presented=True,
        isee_amount=Decimal("5000.00"),
        isee_protocol="INPS-ISEE-2020-00000001A-00",
    )
    MedicalDiet.objects.create(enrollment=enrollment, details="Celiachia")
    user = make_user(codice_fiscale="SPSNNA90B42F839U", email="mai@example.it", verified=False)
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - datetime.timedelta(days=30))
    return enrollment


def test_dry_run_command_prints_each_purger_count_and_changes_nothing(past_due):
    out = io.StringIO()
    call_command("retention_purge", "--dry-run", stdout=out)

    text = out.getvalue()
    assert "Prova (--dry-run): record che sarebbero cancellati; nulla è stato cancellato." in text
    assert "  diete mediche e certificati: 1" in text
    assert "  valori ISEE e protocolli DSU: 1" in text
    assert "  account mai verificati: 1" in text
    assert MedicalDiet.objects.filter(enrollment=past_due).exists()
    past_due.refresh_from_db()
    assert past_due.isee_amount == Decimal("5000.00")
    assert User.objects.filter(email="mai@example.it").exists()
    assert not RetentionRun.objects.exists()


def test_command_purges_and_records_the_run(past_due, caplog):
    out = io.StringIO()
    with caplog.at_level("INFO", logger="portal.site.retention"):
        call_command("retention_purge", stdout=out)

    assert "Record cancellati:" in out.getvalue()
    assert "  account mai verificati: 1" in out.getvalue()
    assert not MedicalDiet.objects.exists()
    assert not User.objects.filter(email="mai@example.it").exists()
    run = RetentionRun.objects.get()
    assert run.trigger == RetentionRun.Trigger.COMMAND
    assert run.counts == {
        "medical_diets": 1,
        "isee_values": 1,
        "unverified_accounts": 1,
        "refused_intake_calls": 0,
        "spid_records": 0,
    }
    assert "Retention purge unverified_accounts: purged 1 record(s)" in caplog.text


def test_the_nightly_job_is_scheduled_and_runs_every_purger(past_due):
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == retention_purge_task.name)
    assert entry["schedule"].hour == {2}
    assert "portal.site.tasks" in settings.CELERY_IMPORTS

    counts = retention_purge_task.delay().get()

    assert counts == {
        "medical_diets": 1,
        "isee_values": 1,
        "unverified_accounts": 1,
        "refused_intake_calls": 0,
        "spid_records": 0,
    }
    assert RetentionRun.objects.get().trigger == RetentionRun.Trigger.BEAT


def test_a_failing_purger_does_not_stop_the_others_and_the_command_fails(past_due, monkeypatch):
    def broken(*, now, dry_run):
        raise RuntimeError("boom")

    monkeypatch.setattr(retention, "PURGERS", [retention.Purger("broken", "rotto", broken), *retention.PURGERS])
    out = io.StringIO()
    with pytest.raises(Exception, match="broken"):
        call_command("retention_purge", stdout=out)
    assert "  rotto: ERRORE (vedi il log)" in out.getvalue()
    assert not MedicalDiet.objects.exists()
    assert RetentionRun.objects.get().counts["broken"] is None


def test_privacy_notice_states_the_office_periods(client, legal_documents):
    RetentionPolicy.objects.create(pk=1, health_data_months=18, isee_months=30, unverified_account_days=5)

    response = client.get(reverse("accounts:privacy"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Per quanto tempo conserviamo i dati" in body
    assert "certificati): cancellate 18 mesi dopo la fine dell&#x27;anno scolastico" in body
    assert "Valore ISEE e protocollo DSU: cancellati 30 mesi dopo" in body
    assert "mai verificato: cancellati 5 giorni dopo la registrazione" in body


def test_privacy_notice_defaults_before_the_office_sets_them(client, legal_documents):
    body = client.get(reverse("accounts:privacy")).content.decode()
    assert "cancellate 12 mesi" in body
    assert "cancellati 24 mesi" in body
    assert "cancellati 7 giorni" in body


@pytest.fixture
def admin_client(client, legal_documents):
    user = make_user(
        codice_fiscale="VRDGLI79P61A944R",
        email="ufficio@example.it",
        documents=legal_documents,
        is_staff=True,
        is_superuser=True,
    )
    TOTP.activate(user, generate_totp_secret())
    client.force_login(user)
    return client


def test_the_office_sets_the_periods_in_the_admin_in_italian(admin_client):
    response = admin_client.get(reverse("admin:portal_retentionpolicy_changelist"))
    assert response.status_code == 302
    assert response.url == reverse("admin:portal_retentionpolicy_add")

    page = admin_client.get(response.url).content.decode()
    assert "Dati sanitari: mesi di conservazione" in page
    assert "dopo l'ultimo giorno dell'anno scolastico" in page
    assert "il codice fiscale torna libero" in page
    assert "_addanother" not in page  # one row: no "save and add another"

    form = {"health_data_months": "0", "isee_months": "24", "unverified_account_days": "7", "refused_call_days": "30"}
    response = admin_client.post(reverse("admin:portal_retentionpolicy_add"), form)
    assert response.status_code == 200
    assert "Assicurati che questo valore sia maggiore o uguale a 1." in response.content.decode()
    assert not RetentionPolicy.objects.exists()

    form["health_data_months"] = "6"
    response = admin_client.post(reverse("admin:portal_retentionpolicy_add"), form)
    assert response.status_code == 302
    assert RetentionPolicy.objects.get().health_data_months == 6

    response = admin_client.get(reverse("admin:portal_retentionpolicy_changelist"))
    assert response.url == reverse("admin:portal_retentionpolicy_change", args=[1])
    page = admin_client.get(response.url).content.decode()
    assert 'value="6"' in page
    assert "Elimina" not in page
    form["isee_months"] = "36"
    admin_client.post(response.url, form)
    assert RetentionPolicy.objects.get().isee_months == 36
    assert RetentionPolicy.objects.count() == 1
