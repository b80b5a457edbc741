"""Entering with SPID and CIE in Chromium (issue 15), through the test IdPs:

- a new parent starts from the home page, "Entra con SPID", picks Anna Verdi at the test IdP; back on the portal
  she is asked to accept the terms, then lands on the family page, with an account made from her attributes;
- with sign-up closed, the sign-up page says why; an imported parent (the Comune's letter never used) enters with
  SPID and finds the children linked without the code;
- an existing password parent enters with CIE, keeps their children, and on leaving is signed out of the IdP too.
"""

import datetime

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import Child, Guardianship, User
from tests.accounts.activation.conftest import import_family
from tests.conftest import make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def idps(live_server, settings, orm, tmp_path):
    settings.PORTAL_DOMAIN = live_server.url.split("://", 1)[1]
    settings.SPID_KEY_FILE = str(tmp_path / "sp.key")
    settings.SPID_CERT_FILE = str(tmp_path / "sp.crt")
    orm(call_command, "spid_test_idp_register", verbosity=0)


def _choose_at_the_idp(page, name: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Accedi come")  # the test IdP's page
    page.locator("label", has_text=name).click()
    page.get_by_role("button", name="Accedi").click()


def anna() -> tuple[str, str]:
    user = User.objects.get(codice_fiscale="VRDNNA90A41F205M")
    return user.first_name, user.login_records.get().method


def test_a_new_parent_enters_with_spid_from_the_home_page(live_server, idps, legal_documents, orm, page, audit):
    page.goto(f"{live_server.url}/")
    spid = page.locator("main section[aria-labelledby=spid-title]")
    expect(spid.locator("summary")).to_contain_text("Entra con SPID")
    audit(page, "home with SPID and CIE")
    spid.locator("summary").click()
    spid.get_by_role("link", name="IdP di prova").click()
    _choose_at_the_idp(page, "Anna Verdi")

    expect(page).to_have_url(f"{live_server.url}/consenso/?next=%2Ffamiglia%2F")
    audit(page, "consent after SPID")
    form = page.locator("main form")
    for box in form.locator("input[type=checkbox]").all():
        page.locator(f"main form label[for='{box.get_attribute('id')}']").click()
    form.get_by_role("button", name="Accetto e continuo").click()
    expect(page).to_have_url(f"{live_server.url}/famiglia/")
    assert orm(anna) == ("Anna", "spid")


def imported_verdi() -> None:
    import_family(
        codice_fiscale="VRDNNA90A41F205M",
        first_name="Anna",
        last_name="Verdi",
        email="anna.vecchia@example.it",
        children=[("VRDLCU16A01H501D", "Luca", datetime.date(2016, 1, 1), "M")],
    )


def test_with_signup_closed_an_imported_parent_enters_with_spid_and_finds_the_children(
    live_server, idps, settings, legal_documents, orm, page, audit
):
    settings.PORTAL_PASSWORD_SIGNUP = False
    orm(imported_verdi)
    page.goto(f"{live_server.url}/account/signup/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrazione con password non più disponibile")
    expect(page.locator("nav")).not_to_contain_text("Registrati")
    audit(page, "sign-up closed")
    page.get_by_role("link", name="Entra con SPID").last.click()

    spid = page.locator("main section[aria-labelledby=spid-title]")
    spid.locator("summary").click()
    spid.get_by_role("link", name="IdP di prova").click()
    _choose_at_the_idp(page, "Anna Verdi")
    expect(page).to_have_url(f"{live_server.url}/consenso/?next=%2Ffamiglia%2F")
    form = page.locator("main form")
    for box in form.locator("input[type=checkbox]").all():
        page.locator(f"main form label[for='{box.get_attribute('id')}']").click()
    form.get_by_role("button", name="Accetto e continuo").click()

    expect(page).to_have_url(f"{live_server.url}/famiglia/")
    expect(page.locator("main")).to_contain_text("Luca")
    audit(page, "imported family linked by SPID")


def bianchi_with_giulia() -> None:
    parent = make_user(codice_fiscale="BNCLCU82L04F205H", email="luca@example.it", documents=list(_documents()))
    child = Child.objects.create(
        codice_fiscale="BNCGLI18C52H501S", first_name="Giulia", last_name="Bianchi", birth_date="2018-03-12", sex="F"
    )
    Guardianship.objects.create(adult=parent, child=child, role=Guardianship.Role.REFERENCE, granted_by=parent)


def _documents():
    from accounts.models import LegalDocument

    return LegalDocument.objects.all()


def bianchi_entries() -> list[str]:
    return list(User.objects.get(codice_fiscale="BNCLCU82L04F205H").login_records.values_list("method", flat=True))


def test_an_existing_parent_enters_with_cie_keeps_the_data_and_leaves_the_idp_too(
    live_server, idps, legal_documents, orm, page, audit
):
    orm(bianchi_with_giulia)
    page.goto(f"{live_server.url}/account/login/")
    cie = page.locator("main section[aria-labelledby=cie-title]")
    audit(page, "login with SPID and CIE")
    cie.get_by_role("link", name="Entra con CIE").click()
    expect(page.locator("main .alert-warning")).to_contain_text("CIE ID di prova")
    _choose_at_the_idp(page, "Luca Bianchi")

    expect(page).to_have_url(f"{live_server.url}/famiglia/")
    expect(page.locator("main")).to_contain_text("Giulia")
    page.goto(f"{live_server.url}/famiglia/profilo/")
    expect(page.locator("main")).to_contain_text("con la Carta d'identità elettronica (CIE), livello 2")

    page.get_by_role("button", name="Esci").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sei uscito")
    expect(page.locator("main")).to_contain_text("Sei uscito dal portale e dalla tua identità digitale.")
    audit(page, "signed out of the portal and the IdP")
    assert orm(bianchi_entries) == ["cie"]
