"""The main journey in a real browser: register, verify the e-mail, sign in by CF and by e-mail.

Every page on the way is checked with axe-core (serious and critical violations fail) and for
horizontal scrolling at 360 px; the family page is photographed at desktop and phone size.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.models import User
from tests.e2e.forms import fill_signup, log_in

from .conftest import DESKTOP, MOBILE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CF = "SPSNNA90B42F839U"  # Anna Esposito, born in Naples on 02/02/1990
WRONG_CF = "RSSMRA85T10A562X"  # well formed, wrong check character
EMAIL = "anna.esposito@example.it"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
CONFIRM_PATH = re.compile(r"https?://[^/\s\"'<>]+(/account/confirm-email/[^/\s\"'<>]+/)")


def confirmation_path(mail_dir: Path) -> str:
    files = sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []
    assert len(files) == 1, f"expected one mail file in {mail_dir}, found {files}"
    text = files[0].read_text(encoding="utf-8")
    assert f"To: {EMAIL}" in text, text
    paths = set(CONFIRM_PATH.findall(text))
    assert len(paths) == 1, text
    return paths.pop()


def stylesheet_rules(page) -> dict[str, int]:
    """How many CSS rules each loaded stylesheet brought, by file name (proof that static files are served)."""
    return page.evaluate(
        """() => Object.fromEntries([...document.styleSheets].filter(s => s.href)
            .map(s => [s.href.split("/").pop(), s.cssRules.length]))"""
    )


def test_parent_registers_verifies_email_and_signs_in(live_server, legal_documents, mail_dir, orm, page, audit):
    base = live_server.url

    # Home page: Italian, styled (Bootstrap Italia loaded), with the way in.
    page.goto(f"{base}/")
    expect(page.locator("html")).to_have_attribute("lang", "it")
    rules = stylesheet_rules(page)
    assert rules.get("bootstrap-italia.min.css", 0) > 1000, rules
    assert rules.get("portal.css", 0) > 0, rules
    expect(page.locator(".it-header-slim-wrapper")).to_have_css("background-color", "rgb(0, 89, 179)")
    audit(page, "home")
    page.locator("main").get_by_role("link", name="Registrati").click()
    expect(page).to_have_url(f"{base}/account/signup/")
    audit(page, "signup")

    # A typing mistake in the codice fiscale: an Italian explanation, and what was typed is kept.
    fill_signup(page, codice_fiscale=WRONG_CF, first_name="Anna", last_name="Esposito", email=EMAIL)
    expect(page.locator("main")).to_contain_text("carattere di controllo")
    expect(page.get_by_label("Nome", exact=True)).to_have_value("Anna")
    expect(page.get_by_label("Codice fiscale", exact=True)).to_have_attribute("aria-invalid", "true")
    audit(page, "signup with errors")
    assert not orm(User.objects.exists)

    fill_signup(page, codice_fiscale=CF.lower(), first_name="Anna", last_name="Esposito", email=EMAIL)
    expect(page).to_have_url(f"{base}/account/confirm-email/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Verifica il tuo indirizzo email")
    audit(page, "verification sent")

    # The link in the e-mail, then the confirmation button.
    page.goto(base + confirmation_path(mail_dir))
    expect(page.get_by_role("heading", level=1)).to_have_text("Conferma l'indirizzo email")
    audit(page, "confirm e-mail")
    page.locator("main").get_by_role("button", name="Conferma").click()
    expect(page).to_have_url(f"{base}/account/login/")
    audit(page, "login")

    # Sign in with the codice fiscale (typed in lower case): the family page.
    log_in(page, base, login=CF.lower())
    expect(page.get_by_role("heading", level=1)).to_have_text("Ciao Anna")
    expect(page.locator("main")).to_contain_text(CF)
    expect(page).to_have_title(re.compile(r"^La mia famiglia"))
    audit(page, "family")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "family.png", full_page=True)
    page.set_viewport_size(MOBILE)
    page.screenshot(path=SCREENSHOTS / "family-mobile.png", full_page=True)
    page.set_viewport_size(DESKTOP)

    # Sign out with the header button, then in again with the e-mail address.
    page.locator("header").get_by_role("button", name="Esci").click()
    expect(page.locator(".it-header-slim-wrapper").get_by_role("link", name="Accedi")).to_be_visible()
    log_in(page, base, login=EMAIL.upper())
    expect(page.locator("main")).to_contain_text(CF)

    user = orm(User.objects.get)
    assert (user.codice_fiscale, user.first_name, user.last_name) == (CF, "Anna", "Esposito")
    assert audit.visited == [
        "home",
        "signup",
        "signup with errors",
        "verification sent",
        "confirm e-mail",
        "login",
        "family",
    ]
