"""Paying, in a real browser, through the pagoPA fake over real sockets (the `pagopa_live` fixture).

Online: two open notices ticked together, the fake's checkout (cart, PSPs, test card 4242…), back on the
portal's return page "in conferma" until the signed receipts reach the intake, then "Pagato" (htmx polling);
the top-up's receipt raises the balance and each receipt comes by e-mail with its PDF.
Offline: a top-up of 12,50 € "presso un punto pagoPA", the notice PDF with its codice avviso, the fake's
shop counter where that code and the Comune's codice fiscale are typed, and the balance on the portal.
Every page, the fake's included, is checked with axe-core at 1280 and 360 px, as in the other journeys.
"""

import datetime
import re
from decimal import Decimal
from email import message_from_string
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from accounts import services as account_services
from mockpsp.delivery import receipt_deliveries_flush
from mockpsp.models import ReceiptDelivery
from mockpsp.services import behaviour_set
from payments import services
from payments.models import Balance, PaymentNotice
from portal.models import OutboxEmail
from tests.conftest import GIULIA, make_user
from tests.e2e.forms import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PARENT_CF = "RSSMRA85C52H501N"
EMAIL = "maria.rossi@example.it"
FEE_CAUSALE = "Trasporto scolastico 2026/2027 - 1a rata - Giulia Rossi"
POLL_TIMEOUT_MS = 15_000  # the return page polls every 2 s


def family(documents) -> tuple[int, int]:
    """Maria Rossi and Giulia; returns (user pk, child pk)."""
    parent = make_user(codice_fiscale=PARENT_CF, email=EMAIL, documents=documents)
    child = account_services.child_add(adult=parent, **GIULIA)
    return parent.pk, child.pk


def two_open_notices(documents) -> dict[str, str]:
    """A transport fee (150,00 €) and a canteen top-up (25,00 €), published on the fake; returns their causali."""
    from accounts.models import Child, User

    user_pk, child_pk = family(documents)
    parent, child = User.objects.get(pk=user_pk), Child.objects.get(pk=child_pk)
    fee = services.notice_issue(
        child=child,
        service_kind="transport",
        purpose=PaymentNotice.Purpose.FEE,
        amount=Decimal("150.00"),
        causale=FEE_CAUSALE,
        due_date=timezone.localdate() + datetime.timedelta(days=30),
        payer=parent,
        created_by=None,
    )
    topup = services.topup_create(user=parent, child_id=child.pk, service_kind="canteen", amount=Decimal("25.00"))
    published = set(PaymentNotice.objects.filter(pk__in=[fee.pk, topup.pk]).values_list("platform_state", flat=True))
    assert published == {PaymentNotice.PlatformState.VALID}, published
    return {"fee": fee.causale, "topup": topup.causale}


def notice_states() -> dict[str, str]:
    return dict(PaymentNotice.objects.values_list("causale", "status"))


def balances() -> dict[str, Decimal]:
    return dict(Balance.objects.values_list("service_kind", "amount"))


def receipts_waiting() -> int:
    return ReceiptDelivery.objects.filter(delivered_at__isnull=True).count()


def payment_emails() -> list[tuple[str, list, list]]:
    return list(
        OutboxEmail.objects.filter(kind="payment_receipt").order_by("pk").values_list("status", "to", "attachments")
    )


def mail_messages(mail_dir: Path) -> list[Message]:
    """Every e-mail written by the file backend (one file may hold several, separated by a line of dashes)."""
    messages = []
    for path in sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []:
        for chunk in path.read_text(encoding="utf-8").split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                messages.append(message_from_string(chunk.strip("\n")))
    return messages


def subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"] or "")))


def pdf_attachments(message: Message) -> list[bytes]:
    return [part.get_payload(decode=True) for part in message.walk() if part.get_content_type() == "application/pdf"]


def tick(page, label: str) -> None:
    """Bootstrap Italia draws checkboxes and radios on their label: click the label, check the input."""
    control = page.locator("main form").get_by_label(label, exact=True)
    if not control.is_checked():
        page.locator(f"main form label[for='{control.get_attribute('id')}']").click()
    expect(control).to_be_checked()


def go_to_payments(page) -> None:
    """From the family page (where the login lands) to the payments page."""
    page.locator("main section[aria-labelledby=family-payments]").get_by_role(
        "link", name="Pagamenti", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagamenti")


def test_parent_pays_two_notices_online_and_sees_them_paid(
    pagopa_live, legal_documents, mail_dir, orm, pdf_text, page, audit
):
    base = pagopa_live
    causali = orm(two_open_notices, legal_documents)
    orm(behaviour_set, delay_seconds=3600)  # receipts wait until flushed: the return page shows "in conferma"

    log_in(page, base, login=PARENT_CF)
    go_to_payments(page)
    to_pay = page.locator("main section[aria-labelledby=to-pay]")
    expect(to_pay.locator("li")).to_have_count(2)
    expect(to_pay).to_contain_text("150,00 €")
    expect(to_pay).to_contain_text("25,00 €")
    audit(page, "notices")
    tick(page, causali["fee"])
    tick(page, causali["topup"])
    to_pay.get_by_role("button", name="Paga online").click()

    # The fake's checkout: the cart with both notices, then the card PSPs.
    expect(page).to_have_url(re.compile(r"/mockpsp/checkout/[^/]+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Paga con pagoPA")
    cart = page.locator("main table")
    expect(cart.locator("tbody tr")).to_have_count(2)
    expect(cart).to_contain_text(causali["fee"])
    expect(cart).to_contain_text(causali["topup"])
    expect(cart.locator("tfoot")).to_contain_text("175,00")
    audit(page, "checkout: cart")
    page.locator("main").get_by_role("link", name="Carta di credito, debito o prepagata").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Carta di credito, debito o prepagata")
    psps = page.locator("main form fieldset label")
    expect(psps.first).to_contain_text("commissione")
    tick(page, psps.first.inner_text())
    page.locator("main form").get_by_label("Numero della carta", exact=True).fill("4242 4242 4242 4242")
    audit(page, "checkout: card")
    page.locator("main form").get_by_role("button", name="Paga", exact=True).click()

    # Back on the portal: paid at the PSP, but nothing is "Pagato" until the receipts arrive.
    expect(page).to_have_url(re.compile(r"/pagamenti/carrello/[^/]+/esito/ok/$"))
    status = page.locator("#cart-status")
    expect(status).to_contain_text("Pagamento in conferma")
    assert orm(notice_states) == {causali["fee"]: "issued", causali["topup"]: "issued"}
    audit(page, "return: in conferma")
    assert orm(receipts_waiting) == 2
    assert orm(receipt_deliveries_flush) == 2  # the platform sends the signed receipts to the intake
    expect(status).to_contain_text("Pagato", timeout=POLL_TIMEOUT_MS)
    expect(status.get_by_role("link", name=re.compile("^Scarica la ricevuta"))).to_have_count(2)
    audit(page, "return: pagato")
    with page.expect_download() as download:
        status.get_by_role("link", name=re.compile("^Scarica la ricevuta")).first.click()
    receipt = pdf_text(Path(download.value.path()).read_bytes())
    assert "Giulia Rossi" in receipt, receipt

    # The payments page: nothing left to pay, both paid; the top-up is credit on the canteen.
    page.locator("main").get_by_role("link", name="Torna ai pagamenti").click()
    expect(page.locator("main section[aria-labelledby=to-pay]")).to_contain_text("Non hai avvisi da pagare.")
    closed = page.locator("main section[aria-labelledby=closed]")
    expect(closed.locator(".badge", has_text="pagato")).to_have_count(2)
    credit = page.locator("main section[aria-labelledby=balances]")
    expect(credit).to_contain_text("Refezione scolastica (mensa)")
    expect(credit.locator("li", has_text="Refezione scolastica (mensa)")).to_contain_text("25,00 €")
    audit(page, "notices paid")
    credit.get_by_role("link", name="Giulia Rossi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Credito di Giulia Rossi")
    expect(page.locator("main section[aria-labelledby=balance]")).to_contain_text("25,00 €")
    expect(page.locator("main section[aria-labelledby=movements]")).to_contain_text("+25,00 €")
    audit(page, "ledger")

    assert orm(notice_states) == {causali["fee"]: "paid", causali["topup"]: "paid"}
    assert orm(balances) == {"canteen": Decimal("25.00")}  # transport is billed by notice: no balance
    # One e-mail per receipt, to the payer, with the receipt PDF; delivered.
    outbox = orm(payment_emails)
    assert [(status, to) for status, to, _attachments in outbox] == [("sent", [EMAIL]), ("sent", [EMAIL])], outbox
    assert all(attachments for _status, _to, attachments in outbox), outbox
    sent = [message for message in mail_messages(mail_dir) if message["To"] == EMAIL]
    # The transport fee's notice was e-mailed when it was issued (with the avviso); then one e-mail per receipt.
    issued = [message for message in sent if "Nuovo avviso di pagamento" in subject(message)]
    assert len(issued) == 1, [message["Subject"] for message in sent]
    assert pdf_attachments(issued[0])
    receipts = [message for message in sent if "Pagamento ricevuto" in subject(message)]
    pdfs = [content for message in receipts for content in pdf_attachments(message)]
    assert len(pdfs) == 2, [message["Subject"] for message in sent]
    texts = [pdf_text(content) for content in pdfs]
    assert any("150,00" in text for text in texts), texts
    assert any("25,00" in text for text in texts), texts


def test_parent_tops_up_at_a_shop_with_the_printed_notice(
    pagopa_live, legal_documents, mail_dir, orm, pdf_text, page, audit
):
    base = pagopa_live
    orm(family, legal_documents)

    log_in(page, base, login=PARENT_CF)
    go_to_payments(page)
    # No canteen enrollment yet, so no canteen balance with its "Ricarica" link (issue 10, item 1): the top-up page
    # is reached by its address, as from the acceptance e-mail's link.
    credit = page.locator("main section[aria-labelledby=balances]")
    expect(credit.get_by_role("link", name="Ricarica")).to_have_count(0)
    page.goto(f"{base}/pagamenti/ricarica/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ricarica il credito")
    form = page.locator("main form")
    expect(form.get_by_label("Per chi", exact=True)).to_have_value(re.compile(r"\d+"))  # the only child
    form.get_by_label("Servizio", exact=True).select_option(label="Refezione scolastica (mensa)")
    form.get_by_label("Importo in euro", exact=True).fill("12,50")
    audit(page, "top-up")
    form.get_by_role("button", name="Paga presso un punto pagoPA").click()

    # The notice: its codice avviso, the Comune's codice fiscale, and the PDF to take to the shop.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ricarica mensa - Giulia Rossi")
    main = page.locator("main")
    expect(main).to_contain_text("Avviso creato")
    expect(main).to_contain_text("12,50 €")
    code = main.locator("dt:text-is('Codice avviso') + dd").inner_text().strip()
    assert re.fullmatch(r"3\d{3}( \d{4}){3} \d{2}", code), code
    creditor = settings.PAGOPA_CREDITOR_FISCAL_CODE
    expect(main).to_contain_text(creditor)
    audit(page, "notice")
    with page.expect_download() as download:
        main.get_by_role("link", name="Scarica avviso (PDF)").click()
    notice = pdf_text(Path(download.value.path()).read_bytes())
    assert code in notice, notice
    assert creditor in notice, notice
    assert "12,50" in notice, notice

    # At the tobacconist's: the code as printed (with spaces) and the Comune's codice fiscale.
    page.goto(f"{base}/mockpsp/psp/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Paga un avviso")
    audit(page, "shop")
    lookup = page.locator("main form").first
    lookup.get_by_label("Codice avviso", exact=True).fill(code)
    lookup.get_by_label("Codice fiscale dell'ente creditore", exact=True).fill(creditor)
    lookup.get_by_role("button", name="Verifica l'avviso").click()
    found = page.locator("main section[aria-labelledby=notice-title]")
    expect(found).to_contain_text(code)
    expect(found).to_contain_text("12,50")
    audit(page, "shop: notice found")
    shop_label = page.locator("main form fieldset label", has_text="Tabaccheria").inner_text()
    tick(page, shop_label)
    page.locator("main form").get_by_role("button", name=re.compile(r"^Paga 12,50")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagamento eseguito")
    expect(page.locator("main")).to_contain_text(code)
    audit(page, "shop: paid")

    # Back on the portal: the receipt has arrived, the balance is 12,50 € on the family page and in payments.
    page.goto(f"{base}/famiglia/")
    family_credit = page.locator("main section[aria-labelledby=family-payments]")
    expect(family_credit.locator("li", has_text="Refezione scolastica (mensa)")).to_contain_text("12,50 €")
    audit(page, "family with the credit")
    go_to_payments(page)
    credit = page.locator("main section[aria-labelledby=balances]")
    expect(credit.locator("li", has_text="Refezione scolastica (mensa)")).to_contain_text("12,50 €")
    expect(page.locator("main section[aria-labelledby=to-pay]")).to_contain_text("Non hai avvisi da pagare.")
    closed = page.locator("main section[aria-labelledby=closed]")
    expect(closed).to_contain_text("Ricarica mensa - Giulia Rossi")
    expect(closed.locator(".badge", has_text="pagato")).to_have_count(1)
    audit(page, "notices after the shop")

    assert orm(balances) == {"canteen": Decimal("12.50")}
    assert [status for status, _to, _attachments in orm(payment_emails)] == ["sent"]
