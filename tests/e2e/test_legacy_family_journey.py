"""A family the Comune already knew, in a real browser: the letter, registration, the code, the children.

The office prints the activation letter (the real PDF, photographed as var/screenshots/activation-letter.png);
the parent registers with the CF printed on it, verifies the e-mail through the link in the mail file,
signs in, follows the callout on the family page and types the code from the letter. Every page is
checked with axe-core at 1280 and 360 px, as in test_registration_journey.py.
"""

import datetime
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.letters import activation_letters_pdf
from accounts.models import Child, Guardianship, ImportedAdult
from tests.conftest import make_user
from tests.e2e.forms import fill_signup, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CF = "FRRCHR84L61F205A"  # Chiara Ferrari, born in Milan on 21/07/1984
EMAIL = "chiara.ferrari@example.it"
OLD_EMAIL = "c.ferrari@posta-vecchia.example.it"  # what the Comune had: not hers any more, so no automatic link
CHILDREN = [
    ("FRRTMS16P03F205C", "Tommaso", datetime.date(2016, 9, 3), "M"),
    ("FRRLCA19B54F205W", "Alice", datetime.date(2019, 2, 14), "F"),
]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
CONFIRM_PATH = re.compile(r"https?://[^/\s\"'<>]+(/account/confirm-email/[^/\s\"'<>]+/)")
CODE = re.compile(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b")


def imported_family() -> ImportedAdult:
    """What the CSV import leaves behind: the adult and two children, no guardianship."""
    adult = ImportedAdult.objects.create(codice_fiscale=CF, first_name="Chiara", last_name="Ferrari", email=OLD_EMAIL)
    for cf, name, birth_date, sex in CHILDREN:
        Child.objects.create(
            codice_fiscale=cf,
            first_name=name,
            last_name="Ferrari",
            birth_date=birth_date,
            sex=sex,
            imported_from=adult,
        )
    return adult


def print_letter(tmp_path: Path) -> str:
    """The office prints the letter; returns the code as the parent reads it on paper."""
    staff = make_user(codice_fiscale="VRDGLI79P61A944R", email="ufficio@example.it", is_staff=True)
    pdf = activation_letters_pdf(imported_adults=[ImportedAdult.objects.get(codice_fiscale=CF)], actor=staff)
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)  # noqa: S603,S607
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603
        ["pdftoppm", "-png", "-r", "110", "-singlefile", str(path), str(SCREENSHOTS / "activation-letter")],  # noqa: S607
        check=True,
    )
    assert "Tommaso Ferrari" in text.stdout
    assert "Alice Ferrari" in text.stdout
    return CODE.search(text.stdout).group(1)


def confirmation_path(mail_dir: Path) -> str:
    files = sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []
    assert len(files) == 1, f"expected one mail file in {mail_dir}, found {files}"
    text = files[0].read_text(encoding="utf-8")
    assert f"To: {EMAIL}" in text, text
    paths = set(CONFIRM_PATH.findall(text))
    assert len(paths) == 1, text
    return paths.pop()


def children_linked() -> set[tuple[str, str]]:
    return set(
        Guardianship.objects.filter(adult__codice_fiscale=CF, revoked_at__isnull=True).values_list(
            "child__first_name", "role"
        )
    )


def test_legacy_parent_registers_and_claims_the_children_with_the_letters_code(
    live_server, legal_documents, mail_dir, tmp_path, orm, page, audit
):
    base = live_server.url
    orm(imported_family)
    code = orm(print_letter, tmp_path)

    # Step 1 of the letter: register with her own codice fiscale.
    page.goto(f"{base}/account/signup/")
    audit(page, "signup")
    fill_signup(page, codice_fiscale=CF, first_name="Chiara", last_name="Ferrari", email=EMAIL)
    expect(page).to_have_url(f"{base}/account/confirm-email/")
    audit(page, "verification sent")

    # Step 2: the link in the e-mail. Her new address is not the one the Comune had: nothing is linked yet.
    page.goto(base + confirmation_path(mail_dir))
    audit(page, "confirm e-mail")
    page.locator("main").get_by_role("button", name="Conferma").click()
    expect(page).to_have_url(f"{base}/account/login/")
    assert orm(children_linked) == set()
    audit(page, "login")

    log_in(page, base, login=EMAIL)

    # The family page: no child yet (the CF alone proves nothing), and the callout about the letter.
    callout = page.locator("main .callout")
    expect(callout).to_contain_text("Hai ricevuto una lettera dal Comune?")
    expect(page.locator("main")).not_to_contain_text("Tommaso")
    audit(page, "family with the letter callout")

    # Step 3: the code, first with a typing mistake, then as read on paper (lower case, spaces).
    callout.get_by_role("link", name="Inserisci il codice della lettera").click()
    expect(page).to_have_url(f"{base}/famiglia/attiva/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Collega i tuoi figli con il codice della lettera")
    audit(page, "activation")
    field = page.get_by_label("Codice di attivazione", exact=True)
    wrong = "ABCD-EFGH-JKMN" if code != "ABCD-EFGH-JKMN" else "NMKJ-HGFE-DCBA"
    field.fill(wrong)
    page.locator("main form").get_by_role("button", name="Collega i figli").click()
    expect(page.locator("main")).to_contain_text("Il codice non è valido")
    expect(field).to_have_value(wrong)
    expect(field).to_have_attribute("aria-invalid", "true")
    audit(page, "activation with a wrong code")
    assert orm(children_linked) == set()

    field.fill(code.lower().replace("-", " "))
    page.locator("main form").get_by_role("button", name="Collega i figli").click()
    expect(page).to_have_url(f"{base}/famiglia/")
    main = page.locator("main")
    expect(main).to_contain_text("Fatto: Tommaso e Alice ora fanno parte della tua famiglia")
    children = page.locator("main section[aria-labelledby=children]")
    expect(children.get_by_role("link", name="Tommaso Ferrari")).to_be_visible()
    expect(children.get_by_role("link", name="Alice Ferrari")).to_be_visible()
    expect(page.locator("main .callout")).to_have_count(0)
    audit(page, "family with the children")
    page.screenshot(path=SCREENSHOTS / "legacy-family.png", full_page=True)

    assert orm(children_linked) == {("Tommaso", "reference"), ("Alice", "reference")}
    adult = orm(ImportedAdult.objects.get, codice_fiscale=CF)
    assert adult.claimed_by_id is not None
    assert adult.activation_code_digest == ""
    assert audit.visited == [
        "signup",
        "verification sent",
        "confirm e-mail",
        "login",
        "family with the letter callout",
        "activation",
        "activation with a wrong code",
        "family with the children",
    ]
