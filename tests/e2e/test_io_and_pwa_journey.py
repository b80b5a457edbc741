"""The IO journey and the installable portal in Chromium (issue 16).

IO: the Comune issues Giulia's transport fee; Maria Rossi (on IO) opens the fake IO inbox, finds "Hai un nuovo
avviso di pagamento" with the amount, taps "Paga", pays at the fake pagoPA, and the portal shows the notice paid.
PWA: Chromium's own installability check (CDP `Page.getInstallabilityErrors`, in a persistent profile: an
off-the-record one always reports `in-incognito`) finds nothing missing, the worker is active, and offline a
personal page is never served from a cache: the offline page is.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import services as account_services
from mockio.models import Profile
from payments import services
from payments.models import PaymentNotice
from portal.models import IoMessage
from tests.conftest import GIULIA, make_user
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, TIMEOUT_MS
from tests.e2e.forms import log_in
from tests.e2e.test_payment_journeys import EMAIL, PARENT_CF, tick

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CAUSALE = "Trasporto scolastico 2026/2027 - 1a rata - Giulia Rossi"


def fee_for_a_parent_on_io(documents) -> str:
    parent = make_user(codice_fiscale=PARENT_CF, email=EMAIL, documents=documents)
    Profile.objects.create(fiscal_code=PARENT_CF)
    child = account_services.child_add(adult=parent, **GIULIA)
    services.notice_issue(
        child=child,
        service_kind="transport",
        purpose=PaymentNotice.Purpose.FEE,
        amount=Decimal("150.00"),
        causale=CAUSALE,
        due_date=timezone.localdate() + datetime.timedelta(days=30),
        payer=parent,
    )
    return IoMessage.objects.get().status


def notice_status() -> str:
    return PaymentNotice.objects.get().status


def test_a_notice_in_the_io_inbox_is_paid_with_paga(pagopa_live, legal_documents, orm, page, audit):
    base = pagopa_live
    assert orm(fee_for_a_parent_on_io, legal_documents) == "sent"

    page.goto(f"{base}/mockio/inbox/?cf={PARENT_CF}")
    message = page.locator("main article")
    expect(message).to_have_count(1)
    expect(message).to_contain_text("Hai un nuovo avviso di pagamento")
    expect(message).to_contain_text(CAUSALE)
    expect(message).to_contain_text("150,00")
    audit(page, "IO inbox")
    message.get_by_role("link", name="Paga").click()

    found = page.locator("main section[aria-labelledby=notice-title]")
    expect(found).to_contain_text("150,00")
    tick(page, page.locator("main form fieldset label", has_text="Tabaccheria").inner_text())
    page.locator("main form").get_by_role("button", name=re.compile(r"^Paga 150,00")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagamento eseguito")

    assert orm(notice_status) == "paid"
    log_in(page, base, login=PARENT_CF)
    page.goto(f"{base}/famiglia/notifiche/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Come ricevere i messaggi")
    audit(page, "notification preferences")
    page.locator("main form").get_by_role("group", name="Nuovi avvisi di pagamento").get_by_label("Solo app IO").check(
        force=True
    )
    page.locator("main form").get_by_role("button", name="Salva le preferenze").click()
    expect(page.locator("main")).to_contain_text("Preferenze salvate.")
    page.goto(f"{base}/offline/")
    audit(page, "offline page")
    page.goto(f"{base}/pagamenti/avvisi/")
    closed = page.locator("main section[aria-labelledby=closed]")
    expect(closed).to_contain_text(CAUSALE)
    expect(closed.locator(".badge", has_text="pagato")).to_have_count(1)


def test_the_portal_is_installable_and_offline_shows_no_personal_page(live_server, legal_documents, orm, tmp_path):
    from playwright.sync_api import sync_playwright

    orm(make_user, codice_fiscale=PARENT_CF, email=EMAIL, documents=legal_documents)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=DESKTOP,
            locale="it-IT",
        )
        try:
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            log_in(page, live_server.url, login=PARENT_CF)
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            cdp = context.new_cdp_session(page)
            assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
            assert cdp.send("Page.getAppManifest")["errors"] == []
            offer = page.locator("#install-offer")  # Chromium offers the install: the portal asks once
            expect(offer).to_be_visible()
            expect(offer).to_contain_text("Aggiungi il portale alla schermata Home")
            offer.get_by_role("button", name="No, grazie").click()
            expect(offer).to_be_hidden()
            page.reload()  # now controlled by the worker; the offer is not made again
            assert page.evaluate("Boolean(navigator.serviceWorker.controller)")
            page.wait_for_timeout(2000)
            expect(offer).to_be_hidden()
            cached = page.evaluate(
                "caches.keys().then(async (names) => { const urls = []; for (const name of names) {"
                " const cache = await caches.open(name); for (const r of await cache.keys()) urls.push(r.url); }"
                " return urls; })"
            )
            assert any(url.endswith("/offline/") for url in cached), cached
            assert not any("/famiglia/" in url or "/pagamenti/" in url for url in cached), cached

            context.set_offline(True)
            page.goto(f"{live_server.url}/famiglia/")
            expect(page.get_by_role("heading", level=1)).to_have_text("Sei offline")
            expect(page.locator("main")).not_to_contain_text("Giulia")
        finally:
            context.close()
