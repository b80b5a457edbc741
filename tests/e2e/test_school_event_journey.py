"""A school's payment event in Chromium (issue 14): the Rodari school's secretary asks classes 3A and 3B for a
museum trip; Maria Rossi (Giulia, 3A) finds it beside the Comune's transport fee, the school named on it, pays both
in one pagoPA cart (two creditors) through the fake's checkout; the school's page then shows 3A paid, 3B not."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from accounts import services as account_services
from mockpsp.delivery import receipt_deliveries_flush
from mockpsp.services import behaviour_set
from payments import services
from payments.models import Creditor, CreditorSchool, PaymentNotice
from tests.conftest import GIULIA, make_user
from tests.e2e.forms import log_in
from tests.e2e.test_payment_journeys import POLL_TIMEOUT_MS, go_to_payments, tick

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PARENT_CF = "RSSMRA85C52H501N"
OTHER_CF = "BNCLCU82L04F205H"
SECRETARY_CF = "NREPLA75D45H501B"
SCHOOL_CF = "80012345676"
FEE_CAUSALE = "Trasporto scolastico 2026/2027 - 1a rata - Giulia Rossi"
TRIP = "Uscita al Museo di Scienze"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def school_with_two_classes(documents) -> None:
    from enrollment.models import Enrollment, SchoolStaff, ServiceKind
    from tests.enrollment.factories import SchoolClassFactory, SchoolFactory, SchoolYearFactory, ServiceFactory

    today = timezone.localdate()
    year = SchoolYearFactory(start=today.year if today.month >= 9 else today.year - 1)
    school = SchoolFactory(name="Scuola primaria Gianni Rodari", ministry_code="RMEE00101X")
    creditor = Creditor.objects.create(
        name="Istituto comprensivo Rodari",
        fiscal_code=SCHOOL_CF,
        iban="IT13L0306909606100000012345",
        segregation_code=7,
        taxonomy={"trip": "9/0201135IM/"},
    )
    CreditorSchool.objects.create(creditor=creditor, school=school)
    canteen = ServiceFactory(kind=ServiceKind.CANTEEN, schools=[school])
    secretary = make_user(codice_fiscale=SECRETARY_CF, email="segreteria@example.it", documents=documents)
    SchoolStaff.objects.create(user=secretary).schools.add(school)
    maria = make_user(codice_fiscale=PARENT_CF, email="maria.rossi@example.it", documents=documents)
    luca = make_user(
        codice_fiscale=OTHER_CF,
        email="luca.bianchi@example.it",
        documents=documents,
        first_name="Luca",
        last_name="Bianchi",
    )
    giulia = account_services.child_add(adult=maria, **GIULIA)
    sofia = account_services.child_add(
        adult=luca,
        codice_fiscale="BNCSFO19A61F205Y",
        first_name="Sofia",
        last_name="Bianchi",
        birth_date=datetime.date(2019, 1, 21),
        sex="F",
    )
    for child, parent, name in ((giulia, maria, "3A"), (sofia, luca, "3B")):
        Enrollment.objects.create(
            child=child,
            service=canteen,
            school_year=year,
            status=Enrollment.Status.ACCEPTED,
            school=school,
            school_class=SchoolClassFactory(school=school, name=name),
            created_by=parent,
            protocol=f"ISC-{name}",
        )
    services.notice_issue(
        child=giulia,
        service_kind="transport",
        purpose=PaymentNotice.Purpose.FEE,
        amount=Decimal("150.00"),
        causale=FEE_CAUSALE,
        due_date=timezone.localdate() + datetime.timedelta(days=30),
        payer=maria,
        created_by=None,
    )


def trip_causale() -> str:
    return PaymentNotice.objects.get(school_event__isnull=False, child__first_name="Giulia").causale


def test_a_school_asks_two_classes_and_a_parent_pays_school_and_comune_in_one_cart(
    pagopa_live, legal_documents, orm, browser, audit
):
    base = pagopa_live
    orm(school_with_two_classes, legal_documents)
    orm(behaviour_set, delay_seconds=3600)  # receipts wait until flushed
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # The secretary creates the event for 3A and 3B.
    school = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT").new_page()
    log_in(school, base, login=SECRETARY_CF)
    school.get_by_role("link", name="Per le scuole").first.click()
    school.locator("main").get_by_role("link", name=re.compile("^Pagamenti della scuola")).click()
    expect(school.get_by_role("heading", level=1)).to_have_text("Pagamenti della scuola")
    school.locator("main").get_by_role("link", name=re.compile("^Nuovo evento")).click()
    form = school.locator("main form")
    form.get_by_label("Titolo", exact=True).fill(TRIP)
    form.get_by_label("Tipo di pagamento", exact=True).select_option("trip")
    form.get_by_label("Importo (€)", exact=True).fill("0")
    form.get_by_label("Scadenza", exact=True).fill((timezone.localdate() + datetime.timedelta(days=20)).isoformat())
    tick(school, "Alcune classi")
    tick(school, "3A")
    tick(school, "3B")
    audit(school, "school: new event")
    form.get_by_role("button", name="Crea ed emetti gli avvisi").click()
    expect(school.locator("main")).to_contain_text("L'importo deve essere maggiore di zero.")
    expect(school.locator("main form").get_by_label("Titolo", exact=True)).to_have_value(TRIP)  # kept
    school.locator("main form").get_by_label("Importo (€)", exact=True).fill("12,50")
    school.locator("main form").get_by_role("button", name="Crea ed emetti gli avvisi").click()
    expect(school.get_by_role("heading", level=1)).to_have_text(TRIP)
    expect(school.locator("main")).to_contain_text("Stato: emesso")
    expect(school.locator("main")).to_contain_text("0 pagati su 1")
    audit(school, "school: event issued")

    # Maria pays the trip and the Comune's transport fee together.
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT").new_page()
    log_in(page, base, login=PARENT_CF)
    go_to_payments(page)
    to_pay = page.locator("main section[aria-labelledby=to-pay]")
    expect(to_pay.locator("li.card-wrapper")).to_have_count(2)
    expect(to_pay).to_contain_text("Lo chiede: Istituto comprensivo Rodari (scuola)")
    causale = orm(trip_causale)
    tick(page, causale)
    tick(page, FEE_CAUSALE)
    page.screenshot(path=str(SCREENSHOTS / "school-event-parent.png"), full_page=True)
    to_pay.get_by_role("button", name="Paga online").click()
    expect(page).to_have_url(re.compile(r"/mockpsp/checkout/[^/]+/$"))
    cart = page.locator("main table")
    expect(cart.locator("tbody tr")).to_have_count(2)
    expect(cart).to_contain_text("Istituto comprensivo Rodari")
    expect(cart.locator("tfoot")).to_contain_text("162,50")
    page.locator("main").get_by_role("link", name="Carta di credito, debito o prepagata").click()
    psps = page.locator("main form fieldset label")
    tick(page, psps.first.inner_text())
    page.locator("main form").get_by_label("Numero della carta", exact=True).fill("4242 4242 4242 4242")
    page.locator("main form").get_by_role("button", name="Paga", exact=True).click()
    expect(page).to_have_url(re.compile(r"/pagamenti/carrello/[^/]+/esito/ok/$"))
    assert orm(receipt_deliveries_flush) == 2  # one receipt per creditor's notice, to the station
    expect(page.locator("#cart-status")).to_contain_text("Pagato", timeout=POLL_TIMEOUT_MS)

    # The school's page: 3A paid, 3B not yet.
    school.reload()
    expect(school.locator("main section", has_text="Classe 3A")).to_contain_text("1 pagati su 1")
    expect(school.locator("main section", has_text="Classe 3B")).to_contain_text("0 pagati su 1")
    expect(school.locator("main section", has_text="Classe 3B")).to_contain_text("Luca Bianchi")
    expect(school.locator("main")).to_contain_text("Pagati")
    audit(school, "school: one paid")
    school.screenshot(path=str(SCREENSHOTS / "school-event.png"), full_page=True)
