"""After a failed submit the focus is on the form's error summary, whose links lead to the fields (issue 10,
item 16), in a real browser."""

import pytest
from playwright.sync_api import expect

from tests.conftest import make_user
from tests.e2e.forms import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_failed_submit_focuses_the_summary_and_its_link_focuses_the_field(
    live_server, legal_documents, orm, browser
):
    orm(make_user, codice_fiscale="RSSMRA85C52H501N", email="maria.rossi@example.it", documents=legal_documents)
    page = browser.new_context(viewport={"width": 390, "height": 800}, locale="it-IT").new_page()
    page.set_default_timeout(10_000)
    base = live_server.url
    log_in(page, base, login="RSSMRA85C52H501N")

    page.goto(f"{base}/famiglia/figli/aggiungi/")
    # The theme's scripts run from files (no inline script under the Content-Security-Policy): fonts path set.
    assert page.evaluate("() => window.__PUBLIC_PATH__").endswith("/fonts")
    page.locator("main form").get_by_label("Codice fiscale del bambino", exact=True).fill("RSSGLI18C52H501X")
    page.locator("main form").get_by_role("button", name="Continua").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Controlla i dati: alcuni non sono corretti")
    summary.get_by_role("link", name="Nome: Questo campo è obbligatorio.", exact=True).click()
    expect(page.locator("main form").get_by_label("Nome", exact=True)).to_be_focused()
