"""Enrolling a child, in a real browser: canteen with a medical diet and transport, then the office accepts.

The parent goes from the family page through the wizard twice (one draft per service, started together),
uploads the doctor's certificate, reads the tariff and why on the summary, sends, downloads the receipt
(the real PDF, read with pdftotext) and finds it attached to the e-mail. The office signs in to the admin with
TOTP and accepts both from the review list; the parent then sees "accolta". Every portal page (the office's
login and TOTP pages too) is checked with axe-core at 1280 and 360 px, as in the other journeys; the admin's
review list is not (Django's own markup: at 360 px axe finds a "link-in-text-block" in its search bar).
"""

import datetime
import re
from decimal import Decimal
from email import message_from_string
from email.message import Message
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from accounts import services as account_services
from enrollment.models import Enrollment, ServiceKind
from portal.models import OutboxEmail
from tests.conftest import GIULIA, PASSWORD, make_user
from tests.e2e.conftest import DESKTOP
from tests.e2e.forms import log_in
from tests.enrollment.factories import (
    CANTEEN_BANDS,
    TRANSPORT_BANDS,
    EnrollmentWindowFactory,
    RouteFactory,
    SchoolClassFactory,
    SchoolFactory,
    SchoolYearFactory,
    ServiceFactory,
    StopFactory,
    plan_with_bands,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PARENT_CF = "RSSMRA85C52H501N"
STAFF_CF = "VRDGLI79P61A944R"
DSU = "INPS-ISEE-2026-12345678A-00"
DETAILS = "Allergia alle arachidi e alla frutta a guscio"
# A tiny but well-formed PDF, as a phone's scanner app would produce (the form checks the content, not the name).
CERTIFICATE = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
SCHOOL = "Scuola primaria Gianni Rodari"


def school_year_open(documents) -> str:
    """The Comune's year as the office prepares it, Maria Rossi with Giulia, and the office user (TOTP secret)."""
    parent = make_user(codice_fiscale=PARENT_CF, email="maria.rossi@example.it", documents=documents)
    account_services.child_add(adult=parent, **GIULIA)
    year = SchoolYearFactory(start=2026)
    school = SchoolFactory(name=SCHOOL, ministry_code="RMEE00101X", address="Via delle Scuole 1")
    SchoolClassFactory(school=school, name="3A")
    SchoolClassFactory(school=school, name="3B")
    canteen = ServiceFactory(kind=ServiceKind.CANTEEN, schools=[school])
    transport = ServiceFactory(kind=ServiceKind.TRANSPORT, schools=[school])
    plan_with_bands(service=canteen, school_year=year, bands=CANTEEN_BANDS, non_resident_amount=Decimal("6.00"))
    plan_with_bands(service=transport, school_year=year, bands=TRANSPORT_BANDS, no_isee_amount=Decimal("300.00"))
    EnrollmentWindowFactory(service=canteen, school_year=year)
    EnrollmentWindowFactory(service=transport, school_year=year)
    route = RouteFactory(school_year=year, name="Linea 1", capacity=3, schools=[school])
    StopFactory(route=route, order=1, name="Piazza Roma", outbound_time=datetime.time(7, 30))
    StopFactory(route=route, order=2, name="Via Verdi", outbound_time=datetime.time(7, 40))

    staff = make_user(
        codice_fiscale=STAFF_CF,
        email="ufficio@comune.example.it",
        first_name="Giulia",
        last_name="Verdi",
        documents=documents,
        is_staff=True,
    )
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="enrollment", codename__in=["view_enrollment", "change_enrollment"]
        )
    )
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    return secret


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def choose(page, label: str) -> None:
    """Bootstrap Italia draws radios and checkboxes on their label: click the label, check the input."""
    control = page.locator("main form").get_by_label(label, exact=True)
    if not control.is_checked():
        page.locator(f"main form label[for='{control.get_attribute('id')}']").click()
    expect(control).to_be_checked()


def tick(page, text: str) -> None:
    """A declaration: a checkbox whose (long) label contains `text`."""
    control = page.locator("main form").get_by_label(text)
    if not control.is_checked():
        page.locator(f"label[for='{control.get_attribute('id')}']").click()
    expect(control).to_be_checked()


def next_step(page, heading: str) -> None:
    page.locator("main form").get_by_role("button", name="Salva e continua").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def mail_messages(mail_dir: Path) -> list[Message]:
    """Every e-mail written by the file backend (one file may hold several, separated by a line of dashes)."""
    messages = []
    for path in sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []:
        for chunk in path.read_text(encoding="utf-8").split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                messages.append(message_from_string(chunk.strip("\n")))
    return messages


def pdf_attachments(message: Message) -> list[tuple[str, bytes]]:
    return [
        (part.get_filename() or "", part.get_payload(decode=True))
        for part in message.walk()
        if part.get_content_type() == "application/pdf"
    ]


def enrollment_states() -> dict[str, tuple[str, str]]:
    return {
        row.service.kind: (row.status, row.protocol)
        for row in Enrollment.objects.select_related("service").filter(child__codice_fiscale=GIULIA["codice_fiscale"])
    }


def submitted_emails() -> list[tuple[str, list, list]]:
    return list(
        OutboxEmail.objects.filter(kind__startswith="enrollment_submitted")
        .order_by("pk")
        .values_list("status", "to", "attachments")
    )


def test_parent_enrolls_in_canteen_and_transport_and_the_office_accepts(
    live_server, legal_documents, mail_dir, orm, pdf_text, browser, audit
):
    base = live_server.url
    secret = orm(school_year_open, legal_documents)
    page = browser.new_context(viewport=DESKTOP, locale="it-IT").new_page()
    page.set_default_timeout(10_000)

    # The family page: "Iscrivi ai servizi", one child so straight to the services.
    log_in(page, base, login=PARENT_CF)
    audit(page, "family")
    page.locator("main").get_by_role("link", name="Iscrivi ai servizi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Iscrivi Giulia ai servizi")
    audit(page, "services")
    tick(page, "Mensa scolastica")
    tick(page, "Trasporto scolastico")
    page.locator("main form").get_by_role("button", name="Inizia la domanda").click()

    # Canteen: school, class, residency, ISEE, medical diet with the certificate.
    expect(page.get_by_role("heading", level=1)).to_have_text("Scuola")
    expect(page.locator("main")).to_contain_text("Abbiamo preparato 2 domande per Giulia")
    expect(page.locator("main")).to_contain_text("Mensa scolastica 2026/2027 · Giulia Rossi")
    expect(page.locator("main")).to_contain_text("Passo 1 di 6")
    audit(page, "canteen: school")
    choose(page, f"{SCHOOL} · Via delle Scuole 1")
    next_step(page, "Classe")
    page.locator("main form").get_by_label("Classe o sezione", exact=True).select_option(label="3A")
    audit(page, "canteen: class")
    next_step(page, "Residenza")
    choose(page, "Sì, il bambino è residente nel Comune")
    audit(page, "canteen: residency")
    next_step(page, "ISEE")
    choose(page, "Presento l'ISEE")
    form = page.locator("main form")
    form.get_by_label("Valore ISEE in euro", exact=True).fill("12.345,67")
    form.get_by_label("Numero di protocollo della DSU", exact=True).fill(DSU)
    expires = timezone.localdate().replace(month=12, day=31) + datetime.timedelta(days=365)
    form.get_by_label("Data di scadenza dell'ISEE", exact=True).fill(expires.isoformat())
    audit(page, "canteen: ISEE")
    next_step(page, "Dieta")
    choose(page, "Dieta per motivi di salute: allergie, intolleranze, malattie")
    form.get_by_label("Indicazioni mediche", exact=True).fill(DETAILS)
    form.get_by_label("Certificato medico (PDF o JPEG, al massimo 5 MB)", exact=True).set_input_files(
        files=[{"name": "certificato-pediatra.pdf", "mimeType": "application/pdf", "buffer": CERTIFICATE}]
    )
    audit(page, "canteen: diet")
    next_step(page, "Riepilogo e invio")

    # The summary: what was entered, the tariff and why; the health data themselves are not repeated.
    main = page.locator("main")
    expect(main).to_contain_text("Passo 6 di 6")
    expect(main).to_contain_text(SCHOOL)
    expect(main).to_contain_text("certificato caricato")
    tariff = page.locator("section[aria-labelledby=summary-tariff]")
    expect(tariff).to_contain_text("3,50 €")
    expect(tariff).to_contain_text("Fascia ISEE da 7.500,00 € a 15.000,00 €")
    expect(main).not_to_contain_text(DETAILS)
    audit(page, "canteen: summary")
    tick(page, "Dichiaro che i dati inseriti sono veri")
    tick(page, "Ho letto l'informativa sul trattamento dei dati personali")
    tick(page, "Acconsento al trattamento dei dati sulla salute")
    page.locator("main form").get_by_role("button", name="Invia la domanda").click()

    # The confirmation with the protocol; the receipt PDF carries it.
    expect(page.get_by_role("heading", level=1)).to_have_text("Domanda inviata")
    canteen_protocol = page.locator("main .alert-success strong").inner_text().strip()
    assert canteen_protocol, "no protocol on the confirmation page"
    expect(page.locator("main")).to_contain_text("3,50 €")
    audit(page, "canteen: sent")
    with page.expect_download() as download:
        page.locator("main").get_by_role("link", name="Scarica la ricevuta (PDF)").click()
    receipt = pdf_text(Path(download.value.path()).read_bytes())
    assert canteen_protocol in receipt, receipt
    assert "Giulia" in receipt, receipt
    assert DETAILS not in receipt

    # The other draft waits on the confirmation page: transport. School, class, residency and ISEE are already
    # filled in from the canteen's answers: the parent confirms them, and changes the ISEE (not presented).
    drafts = page.locator("main section[aria-labelledby=drafts-title]")
    expect(drafts).to_contain_text("Trasporto scolastico")
    drafts.get_by_role("link", name=re.compile("^Riprendi")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scuola")
    expect(page.locator("main")).to_contain_text("Trasporto scolastico 2026/2027 · Giulia Rossi")
    expect(page.locator("main form").get_by_label(f"{SCHOOL} · Via delle Scuole 1")).to_be_checked()
    next_step(page, "Classe")
    expect(page.locator("main form").get_by_label("Classe o sezione", exact=True)).to_have_value(re.compile(r"\d+"))
    next_step(page, "Residenza")
    expect(page.locator("main form").get_by_label("Sì, il bambino è residente nel Comune")).to_be_checked()
    next_step(page, "ISEE")
    choose(page, "Non presento l'ISEE: si applica la tariffa più alta")
    next_step(page, "Linea dello scuolabus")
    choose(page, "Linea 1 — 3 posti liberi su 3")
    audit(page, "transport: route")
    next_step(page, "Fermata e percorso")
    stop = page.locator("main form label", has_text="Via Verdi").inner_text()
    choose(page, stop)
    choose(page, "Andata e ritorno")
    audit(page, "transport: stop")
    next_step(page, "Chi ritira il bambino")
    page.locator("main form").get_by_label("Adulti autorizzati a ritirare il bambino alla fermata", exact=True).fill(
        "Anna Verdi, C.I. CA12345AB\nPaolo Verdi, patente U1234567"
    )
    audit(page, "transport: pickup")
    next_step(page, "Riepilogo e invio")
    main = page.locator("main")
    expect(main).to_contain_text("3A")
    expect(main).to_contain_text("Via Verdi")
    expect(main).to_contain_text("Paolo Verdi, patente U1234567")
    expect(page.locator("section[aria-labelledby=summary-tariff]")).to_contain_text("300,00 €")
    expect(main).not_to_contain_text("trattamento dei dati sulla salute")
    audit(page, "transport: summary")
    tick(page, "Dichiaro che i dati inseriti sono veri")
    tick(page, "Ho letto l'informativa sul trattamento dei dati personali")
    page.locator("main form").get_by_role("button", name="Invia la domanda").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Domanda inviata")
    transport_protocol = page.locator("main .alert-success strong").inner_text().strip()
    audit(page, "transport: sent")

    states = orm(enrollment_states)
    assert states == {
        ServiceKind.CANTEEN: (Enrollment.Status.SUBMITTED, canteen_protocol),
        ServiceKind.TRANSPORT: (Enrollment.Status.SUBMITTED, transport_protocol),
    }

    # Each submission wrote its e-mail (the outbox row) with the receipt PDF, and it was delivered.
    outbox = orm(submitted_emails)
    assert [(status, to) for status, to, _attachments in outbox] == [
        ("sent", ["maria.rossi@example.it"]),
        ("sent", ["maria.rossi@example.it"]),
    ], outbox
    assert all(attachments for _status, _to, attachments in outbox), outbox
    sent = [message for message in mail_messages(mail_dir) if message["To"] == "maria.rossi@example.it"]
    attached = {name: content for message in sent for name, content in pdf_attachments(message)}
    for protocol in (canteen_protocol, transport_protocol):
        name = next((name for name in attached if protocol.replace("/", "-") in name), None)
        assert name is not None, f"no PDF for {protocol} among {sorted(attached)}"
        assert protocol in pdf_text(attached[name])
    every_mail = "\n".join(message.as_string() for message in sent)
    assert DETAILS not in every_mail  # never health data in an e-mail
    assert "Allergia" not in every_mail

    # The office: sign in (password, then the TOTP code), the review list, accept both.
    office = browser.new_context(viewport=DESKTOP, locale="it-IT").new_page()
    office.set_default_timeout(10_000)
    office.goto(f"{base}/admin/enrollment/enrollment/")
    audit(office, "login for the admin")
    form = office.locator("main form")
    form.get_by_label("Codice fiscale o e-mail", exact=True).fill(STAFF_CF)
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_role("button", name="Accedi").click()
    code = office.locator("input[name=code]")
    expect(code).to_be_visible()
    audit(office, "TOTP code")
    code.fill(totp_code(secret))
    code.press("Enter")
    expect(office).to_have_url(re.compile(r"/admin/enrollment/enrollment/$"))
    rows = office.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    # At 1280 px the review list fits: status, submission date and ISEE without scrolling sideways.
    assert office.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert office.evaluate(
        "() => { const r = document.querySelector('#changelist .results'); return r.scrollWidth <= r.clientWidth; }"
    )
    expect(office.locator("#result_list thead")).to_contain_text("ISEE")
    for protocol in (canteen_protocol, transport_protocol):
        rows.filter(has_text=protocol).locator("input[name=_selected_action]").check()
    office.locator("select[name=action]").select_option(label="Accogli le iscrizioni selezionate")
    office.locator("button[name=index]").click()
    expect(office.locator(".messagelist")).to_contain_text("2 iscrizioni accolte.")
    expect(rows.filter(has_text=canteen_protocol)).to_contain_text("accolta")

    # The parent reloads: the family page and the enrollment say "accolta".
    page.goto(f"{base}/famiglia/")
    enrollments = page.locator("main section[aria-labelledby=family-enrollments]")
    expect(enrollments).to_contain_text("Mensa scolastica 2026/2027")
    expect(enrollments.locator(".badge", has_text="accolta")).to_have_count(2)
    audit(page, "family with the accepted enrollments")
    enrollments.get_by_role("link", name="Dettagli — Mensa scolastica 2026/2027").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mensa scolastica 2026/2027")
    expect(page.locator("main")).to_contain_text("accolta")
    expect(page.locator("main")).to_contain_text("La domanda è stata accolta")
    expect(page.locator("main")).to_contain_text(canteen_protocol)
    expect(page.locator("main")).not_to_contain_text(DETAILS)
    audit(page, "accepted enrollment")

    assert orm(enrollment_states) == {
        ServiceKind.CANTEEN: (Enrollment.Status.ACCEPTED, canteen_protocol),
        ServiceKind.TRANSPORT: (Enrollment.Status.ACCEPTED, transport_protocol),
    }
