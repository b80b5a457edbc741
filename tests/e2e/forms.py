"""What a parent does with the portal's forms in the browser tests: sign up, sign in."""

from playwright.sync_api import expect

from tests.conftest import PASSWORD


def tick(form, label: str) -> None:
    """Bootstrap Italia draws the checkbox on its label (the input itself is invisible): click the label."""
    checkbox = form.get_by_label(label, exact=True)
    if not checkbox.is_checked():
        form.locator("label", has_text=label).click()
    expect(checkbox).to_be_checked()


def fill_signup(page, *, codice_fiscale: str, first_name: str, last_name: str, email: str) -> None:
    """Fill the signup form on the current page, accept terms and privacy, submit."""
    form = page.locator("main form")
    form.get_by_label("Codice fiscale", exact=True).fill(codice_fiscale)
    form.get_by_label("Nome", exact=True).fill(first_name)
    form.get_by_label("Cognome", exact=True).fill(last_name)
    form.get_by_label("E-mail", exact=True).fill(email)
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_label("Ripeti la password", exact=True).fill(PASSWORD)
    tick(form, "Ho letto e accetto le condizioni d'uso del portale")
    tick(form, "Ho letto l'informativa sul trattamento dei dati personali")
    form.get_by_role("button", name="Registrazione").click()  # allauth's Italian for "Sign Up"


def log_in(page, base_url: str, *, login: str) -> None:
    """Sign in with codice fiscale or e-mail and land on the family page."""
    page.goto(f"{base_url}/account/login/")
    form = page.locator("main form")
    form.get_by_label("Codice fiscale o e-mail", exact=True).fill(login)
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_role("button", name="Accedi").click()
    expect(page).to_have_url(f"{base_url}/famiglia/")
