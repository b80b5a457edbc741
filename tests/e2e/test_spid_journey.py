"""Entering with SPID in Chromium (issue 15): a new parent opens the login page, chooses "Entra con SPID" and the
test IdP, picks Anna Verdi there; back on the portal she is asked to accept the terms, then lands on the family
page, with an account made from her SPID attributes."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def anna() -> tuple[str, str]:
    user = User.objects.get(codice_fiscale="VRDNNA90A41F205M")
    return user.first_name, user.login_records.get().method


def test_a_new_parent_enters_with_spid_and_accepts_the_terms(
    live_server, settings, legal_documents, orm, page, audit, tmp_path
):
    settings.PORTAL_DOMAIN = live_server.url.split("://", 1)[1]
    settings.SPID_KEY_FILE = str(tmp_path / "sp.key")
    settings.SPID_CERT_FILE = str(tmp_path / "sp.crt")
    orm(call_command, "spid_test_idp_register", verbosity=0)

    page.goto(f"{live_server.url}/account/login/")
    spid = page.locator("main section[aria-labelledby=spid-title]")
    expect(spid).to_contain_text("Entra con SPID")
    audit(page, "login with SPID")
    spid.locator("summary").click()
    spid.get_by_role("link", name="IdP di prova").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Accedi come")  # the test IdP's page
    page.locator("label", has_text="Anna Verdi").click()
    page.get_by_role("button", name="Accedi").click()

    expect(page).to_have_url(f"{live_server.url}/consenso/?next=%2Ffamiglia%2F")
    audit(page, "consent after SPID")
    form = page.locator("main form")
    for box in form.locator("input[type=checkbox]").all():
        page.locator(f"main form label[for='{box.get_attribute('id')}']").click()
    form.get_by_role("button", name="Accetto e continuo").click()
    expect(page).to_have_url(f"{live_server.url}/famiglia/")
    assert orm(anna) == ("Anna", "spid")
