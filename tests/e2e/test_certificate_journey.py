"""The tax certificate in Chromium (issue 14): Maria Rossi paid Giulia's canteen in 2025; the office issued the
year's certificates; she finds "Attestazioni per le tasse" on the payments page, downloads the PDF, and anyone
typing the PDF's verification code on the public page reads that it is genuine (no names shown)."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts import services as account_services
from payments.models import TaxCertificate
from payments.services.certificates import certificates_issue_year
from tests.conftest import GIULIA, make_user
from tests.e2e.forms import log_in
from tests.e2e.test_payment_journeys import go_to_payments
from tests.payments.test_certificates import at, pay

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PARENT_CF = "RSSMRA85C52H501N"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def family_paid_in_2025(documents) -> str:
    parent = make_user(codice_fiscale=PARENT_CF, email="maria.rossi@example.it", documents=documents)
    child = account_services.child_add(adult=parent, **GIULIA)
    pay(child, parent, "60.00", at(2025, 3, 2, 9, 0))
    pay(child, parent, "150.00", at(2025, 9, 20, 9, 0), service_kind="transport", purpose="fee")
    certificates_issue_year(year=2025)
    return TaxCertificate.objects.get().verification_code


def test_parent_downloads_the_certificate_and_anyone_verifies_it(
    live_server, legal_documents, orm, page, pdf_text, audit
):
    base = live_server.url
    code = orm(family_paid_in_2025, legal_documents)

    log_in(page, base, login=PARENT_CF)
    go_to_payments(page)
    page.locator("main").get_by_role("link", name="Attestazioni per le tasse").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Attestazioni delle spese")
    expect(page.locator("main")).to_contain_text("Anno 2025 — Giulia")
    expect(page.locator("main")).to_contain_text("Spese scolastiche 210,00 €")
    audit(page, "certificates")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "certificates.png"), full_page=True)
    with page.expect_download() as download:
        page.locator("main").get_by_role("link", name=re.compile("^Scarica il PDF")).click()
    text = pdf_text(Path(download.value.path()).read_bytes())
    assert "Attestazione delle spese scolastiche" in text
    assert "210,00" in text
    assert code in text

    anyone = page.context.browser.new_context(locale="it-IT").new_page()
    anyone.goto(f"{base}/pagamenti/attestazioni/verifica/")
    anyone.get_by_label("Codice di verifica").fill(code.lower())
    anyone.get_by_role("button", name="Verifica").click()
    expect(anyone.locator("main")).to_contain_text("Attestazione autentica e valida.")
    expect(anyone.locator("main")).not_to_contain_text("Giulia")
    audit(anyone, "verification")
    anyone.screenshot(path=str(SCREENSHOTS / "certificate-verified.png"), full_page=True)
    assert Decimal("210.00") == orm(lambda: TaxCertificate.objects.get().school_total)
