"""Importing families: the admin (upload, preview, confirm) and the management command."""

import datetime
import io
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts import services
from accounts.admin.imports import SESSION_KEY
from accounts.models import Child, FamilyEvent, ImportedAdult
from tests.conftest import make_user

from .conftest import (
    LUCA,
    MARIA_CF,
    MARIO,
    RODARI,
    ROWS,
    apply,
    make_csv,
)

# --- the admin: upload, preview, confirm ------------------------------------------------------


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


IMPORT_URL = "admin:accounts_importedadult_import"


def upload(client, data: bytes, name="famiglie.csv"):
    return client.post(reverse(IMPORT_URL), {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def uploads(settings) -> list[Path]:
    return sorted((Path(settings.MEDIA_ROOT) / "imports").glob("*"))


def test_the_changelist_has_the_import_button(staff_client, schools):
    body = staff_client.get(reverse("admin:accounts_importedadult_changelist")).content.decode()
    assert "Importa famiglie" in body
    assert reverse(IMPORT_URL) in body
    assert staff_client.get(reverse(IMPORT_URL)).status_code == 200


def test_upload_preview_then_confirm_imports_the_same_file(staff_client, staff, schools, settings):
    response = upload(staff_client, make_csv(ROWS))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Conferma importazione" in body
    token = response.context["token"]
    assert [path.name for path in uploads(settings)] == [f"{token}.csv"]
    assert not ImportedAdult.objects.exists()  # the preview writes nothing

    response = staff_client.post(reverse(IMPORT_URL), {"token": token, "confirm": "1"})

    assert response.status_code == 302
    assert response.url == reverse("admin:accounts_importedadult_changelist")
    assert Child.objects.count() == 3
    assert set(FamilyEvent.objects.values_list("actor", flat=True)) == {staff.pk}
    assert uploads(settings) == []
    body = staff_client.get(response.url).content.decode()
    assert "Importazione completata" in body
    # The same token again: the file is gone, nothing happens twice.
    response = staff_client.post(reverse(IMPORT_URL), {"token": token})
    assert response.status_code == 302
    assert Child.objects.count() == 3


def test_a_file_with_errors_shows_them_and_cannot_be_confirmed(staff_client, schools, settings):
    rows = [ROWS[0], [*MARIO, "RSSGLI18L41H501X", "Giulia", "Rossi", "01/07/2018", RODARI, ""]]
    response = upload(staff_client, make_csv(rows))
    body = response.content.decode()
    assert "Conferma importazione" not in body
    assert "RSSGLI18L41H501X" in body
    assert response.context["errors"][0][0] == 3
    assert uploads(settings) == []


def test_a_confirmation_after_the_portal_changed_shows_the_new_errors(staff_client, schools):
    token = upload(staff_client, make_csv(ROWS)).context["token"]
    services.child_add(  # meanwhile a parent adds the child in the portal
        adult=make_user(codice_fiscale=MARIA_CF, email="maria@example.it"),
        codice_fiscale=LUCA[0],
        first_name="Luca",
        last_name="Rossi",
        birth_date=datetime.date(2016, 3, 15),
        sex="M",
    )
    response = staff_client.post(reverse(IMPORT_URL), {"token": token, "confirm": "1"})
    assert response.status_code == 200
    assert "già collegato" in response.content.decode()
    assert "Conferma importazione" not in response.content.decode()
    assert not ImportedAdult.objects.exists()


def test_the_preview_lists_at_most_200_errors_with_the_total(staff_client, schools):
    rows = [[*MARIO, "RSSLCU16C15H501P", "Luca", "Rossi", "15/03/2016", "ignota", ""]] * 250
    response = upload(staff_client, make_csv(rows))
    assert len(response.context["errors"]) == 200
    assert response.context["report"].error_count == 250
    assert "200 errori su 250" in response.content.decode()


def test_cancel_deletes_the_upload(staff_client, schools, settings):
    token = upload(staff_client, make_csv(ROWS)).context["token"]
    response = staff_client.post(reverse(IMPORT_URL), {"token": token, "cancel": "1"})
    assert response.status_code == 302
    assert uploads(settings) == []
    assert not Child.objects.exists()


@pytest.mark.parametrize("token", ["../../etc/passwd", "0" * 32, "", "ABC"])
def test_a_token_never_becomes_a_client_chosen_path(staff_client, schools, token):
    response = staff_client.post(reverse(IMPORT_URL), {"token": token})
    assert response.status_code == 302
    assert response.url == reverse(IMPORT_URL)
    assert not Child.objects.exists()


def test_a_token_of_another_session_is_refused(client, staff_client, schools, settings):
    token = upload(staff_client, make_csv(ROWS)).context["token"]
    other = make_user(codice_fiscale="BNCLCU82L04F205H", email="altro@example.it", is_staff=True, is_superuser=True)
    TOTP.activate(other, generate_totp_secret())
    client.force_login(other)  # same test client: a new session
    assert token not in client.session.get(SESSION_KEY, [])
    response = client.post(reverse(IMPORT_URL), {"token": token})
    assert response.status_code == 302
    assert not Child.objects.exists()


def test_the_import_needs_the_add_permission(client, schools):
    clerk = make_user(codice_fiscale="BNCLCU82L04F205H", email="sportello@example.it", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_importedadult"))
    TOTP.activate(clerk, generate_totp_secret())
    client.force_login(clerk)
    assert client.get(reverse("admin:accounts_importedadult_changelist")).status_code == 200
    assert "Importa famiglie" not in client.get(reverse("admin:accounts_importedadult_changelist")).content.decode()
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    assert upload(client, make_csv(ROWS)).status_code == 403


def test_the_admin_lists_searches_and_shows_the_children(staff_client, schools):
    apply(make_csv(ROWS))
    changelist = reverse("admin:accounts_importedadult_changelist")
    body = staff_client.get(changelist, {"q": "bncnna83"}).content.decode()
    assert "BNCNNA83B60F205Z" in body
    assert "RSSMRA80E10H501E" not in body
    mario = ImportedAdult.objects.get(codice_fiscale=MARIO[0])
    body = staff_client.get(reverse("admin:accounts_importedadult_change", args=[mario.pk])).content.decode()
    assert "RSSLCU16C15H501P" in body
    assert "RSSGLI18L41H501O" in body


# --- the management command -------------------------------------------------------------------


def test_the_command_imports_and_prints_the_counts(schools, tmp_path):
    path = tmp_path / "famiglie.csv"
    path.write_bytes(make_csv(ROWS))
    out = io.StringIO()
    call_command("import_families", str(path), stdout=out)
    assert "Bambini: 3 creati" in out.getvalue()
    assert Child.objects.count() == 3
    assert FamilyEvent.objects.filter(actor__isnull=True).count() == 3


def test_the_command_prints_errors_with_lines_and_fails(schools, tmp_path):
    path = tmp_path / "famiglie.csv"
    path.write_bytes(make_csv([ROWS[0], [*MARIO, *LUCA, "ignota", ""]]))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_families", str(path), stdout=out)
    assert "Riga 3:" in out.getvalue()
    assert not Child.objects.exists()


def test_the_command_dry_run_writes_nothing(schools, tmp_path):
    path = tmp_path / "famiglie.csv"
    path.write_bytes(make_csv(ROWS))
    out = io.StringIO()
    call_command("import_families", str(path), "--dry-run", stdout=out)
    assert "Bambini: 3 creati" in out.getvalue()
    assert not Child.objects.exists()
