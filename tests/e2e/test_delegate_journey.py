"""A second adult, in a real browser: the adult of reference invites them, they accept and see the child.

The invitation e-mail is read from the mail file; every page is checked with axe-core at 1280 and 360 px.
"""

import datetime
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts import services
from accounts.models import Guardianship
from tests.conftest import make_user
from tests.e2e.forms import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

INVITE_PATH = re.compile(r"https?://[^/\s\"'<>]+(/famiglia/inviti/[^/\s\"'<>]+/)")


def two_families(documents) -> int:
    maria = make_user(codice_fiscale="RSSMRA85C52H501N", email="maria.rossi@example.it", documents=documents)
    make_user(
        codice_fiscale="BNCLCU82L04F205H",
        email="luca.bianchi@example.it",
        first_name="Luca",
        last_name="Bianchi",
        documents=documents,
    )
    child = services.child_add(
        adult=maria,
        codice_fiscale="RSSGLI18C52H501V",
        first_name="Giulia",
        last_name="Rossi",
        birth_date=datetime.date(2018, 3, 12),
        sex="F",
    )
    return child.pk


def invitation_path(mail_dir: Path) -> str:
    text = "\n".join(path.read_text(encoding="utf-8") for path in sorted(mail_dir.glob("*.log")))
    assert "To: luca.bianchi@example.it" in text, text
    assert "RSSGLI18C52H501V" not in text  # never the child's codice fiscale in an e-mail
    return INVITE_PATH.search(text).group(1)


def test_reference_invites_a_second_adult_who_accepts_and_sees_the_child(
    live_server, legal_documents, mail_dir, orm, browser, audit
):
    base = live_server.url
    child_pk = orm(two_families, legal_documents)

    maria = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT").new_page()
    log_in(maria, base, login="RSSMRA85C52H501N")
    maria.locator("main").get_by_role("link", name="Giulia Rossi").click()
    expect(maria).to_have_url(f"{base}/famiglia/figli/{child_pk}/")
    audit(maria, "child page")
    maria.get_by_role("link", name="Invita un altro adulto").click()
    audit(maria, "invite form")
    form = maria.locator("main form")
    form.get_by_label("E-mail dell'adulto da invitare", exact=True).fill("luca.bianchi@example.it")
    form.get_by_label("Codice fiscale dell'adulto da invitare", exact=True).fill("bnclcu82l04f205h")
    form.get_by_role("button", name="Invia l'invito").click()
    expect(maria).to_have_url(f"{base}/famiglia/figli/{child_pk}/")
    audit(maria, "child page with the pending invitation")

    luca = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT").new_page()
    log_in(luca, base, login="luca.bianchi@example.it")
    # Not Giulia's delegate yet: her name is only in the invitation waiting on his family page, which leads to the
    # same page as the e-mail's link.
    expect(luca.locator("main section[aria-labelledby=children]")).not_to_contain_text("Giulia")
    waiting = luca.locator("main section[aria-labelledby=invitations-received-title]")
    expect(waiting).to_contain_text("Maria Rossi ti invita come delegato per: Giulia")
    audit(luca, "family page with the invitation waiting")
    waiting.get_by_role("link", name="Vedi e accetta").click()
    expect(luca).to_have_url(base + invitation_path(mail_dir))
    expect(luca.locator("main")).to_contain_text("Maria Rossi ti invita a diventare delegato")
    audit(luca, "invitation")
    luca.locator("main").get_by_role("button", name="Accetta").click()
    luca.goto(f"{base}/famiglia/")
    children = luca.locator("main section[aria-labelledby=children]")
    expect(children.get_by_role("link", name="Giulia Rossi")).to_be_visible()
    expect(children).to_contain_text("Sei delegato")
    audit(luca, "delegate's family page")

    roles = orm(
        lambda: set(
            Guardianship.objects.filter(child_id=child_pk, revoked_at__isnull=True).values_list(
                "adult__codice_fiscale", "role"
            )
        )
    )
    assert roles == {("RSSMRA85C52H501N", "reference"), ("BNCLCU82L04F205H", "delegate")}
