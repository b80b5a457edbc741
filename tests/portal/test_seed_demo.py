import pytest
from django.core.management import call_command

from accounts.models import Child, Guardianship, ImportedAdult, User
from enrollment.models import Enrollment
from portal.site.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_the_demo_site_and_is_idempotent(capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    counts = (User.objects.count(), Child.objects.count(), Guardianship.objects.count(), Enrollment.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    assert (User.objects.count(), Child.objects.count(), Guardianship.objects.count(), Enrollment.objects.count()) == (
        counts
    )
    maria = User.objects.get(codice_fiscale="RSSMRA85C52H501N")
    assert maria.check_password(DEMO_PASSWORD)
    assert set(Child.objects.filter(guardianships__adult=maria).values_list("first_name", flat=True)) == {
        "Giulia",
        "Marco",
    }
    assert Enrollment.objects.filter(status=Enrollment.Status.ACCEPTED).count() == 3
    assert ImportedAdult.objects.filter(codice_fiscale="FRRCHR84L61F205A", claimed_at__isnull=True).exists()
    assert DEMO_PASSWORD in capsys.readouterr().out
