"""The ragioneria's morning (issue 12), in Chromium against the fake over real sockets: two notices paid online
yesterday (the receipts reached the station as paSendRTV2), the PSP's flow published this morning with one payment
dropped; the accounts office signs in to the admin (password, then TOTP), sees the flow with one line to check, the
receipt in no flow, downloads the bank transfer's CSV and the day's totals. Screenshots in var/screenshots/."""

import datetime
import importlib
import re
from pathlib import Path

import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from playwright.sync_api import expect

from accounts.groups import ACCOUNTS_OFFICE_GROUP
from mockpsp import services as fake
from payments import services
from payments.models import FdrFlow, PaymentNotice, Receipt
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import DESKTOP
from tests.e2e.test_enrollment_journey import totp_code
from tests.e2e.test_payment_journeys import two_open_notices
from tests.mockpsp.helpers import pay_notices_at_fake
from tests.payments.factories import single_option

STAFF_CF = "VRDGLI79P61A944R"
GROUP_MIGRATIONS = [
    ("portal", "0003_office_groups", importlib.import_module("portal.migrations.0003_office_groups").groups_create),
    (
        "payments",
        "0014_fdr_group_permissions",
        importlib.import_module("payments.migrations.0014_fdr_group_permissions").permissions_grant,
    ),
]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def paid_yesterday_and_reported(documents) -> tuple[str, str]:
    """Two notices paid at the fake, one dropped from the PSP's flow; the flow read the next morning."""
    two_open_notices(documents)
    notices = list(PaymentNotice.objects.order_by("amount"))
    pay_notices_at_fake(None, [single_option(n).notice_number for n in notices])
    dropped = Receipt.objects.order_by("amount").first()
    fake.receipt_fdr_change(receipt_id=dropped.receipt_id, action="drop")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1, hours=12), tick=False):
        services.fdr_import()
    return FdrFlow.objects.get().fdr, dropped.iuv


def office_groups_migrated() -> None:
    """The office groups as their data migrations write them (an earlier browser test's flush empties the table)."""
    loader = MigrationLoader(connection)
    for app_label, name, function in GROUP_MIGRATIONS:
        state = loader.project_state((app_label, name), at_end=True)
        function(state.apps, None)


def accounts_clerk(documents) -> str:
    office_groups_migrated()
    clerk = make_user(
        codice_fiscale=STAFF_CF, email="ragioneria@comune.example.it", documents=documents, is_staff=True
    )
    clerk.groups.add(Group.objects.get(name=ACCOUNTS_OFFICE_GROUP))
    secret = generate_totp_secret()
    TOTP.activate(clerk, secret)
    return secret


def test_the_ragioneria_reconciles_the_mornings_flow(pagopa_live, legal_documents, orm, browser, audit):
    base = pagopa_live
    fdr, dropped_iuv = orm(paid_yesterday_and_reported, legal_documents)
    secret = orm(accounts_clerk, legal_documents)

    office = browser.new_context(viewport=DESKTOP, locale="it-IT").new_page()
    office.set_default_timeout(10_000)
    office.goto(f"{base}/admin/payments/fdrflow/")
    form = office.locator("main form")
    form.get_by_label("Codice fiscale o e-mail", exact=True).fill(STAFF_CF)
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_role("button", name="Accedi").click()
    code = office.locator("input[name=code]")
    code.fill(totp_code(secret))
    code.press("Enter")
    expect(office).to_have_url(re.compile(r"/admin/payments/fdrflow/$"))
    rows = office.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(fdr)
    expect(rows).to_contain_text("Riversamento")
    widths = office.evaluate(  # at 1280 px the list fits: no column hidden to the right
        "() => { const r = document.querySelector('#changelist .results'); return [r.scrollWidth, r.clientWidth]; }"
    )
    assert widths[0] <= widths[1], widths
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    office.screenshot(path=SCREENSHOTS / "fdr-flows.png", full_page=True)

    with office.expect_download() as download:
        rows.get_by_role("link", name="Riversamento").click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert csv_text.startswith("Identificativo regolamento;")
    assert "abbinato" in csv_text

    office.get_by_role("link", name="Totali del giorno").click()
    flow_day = orm(lambda: FdrFlow.objects.get().regulation_date)
    office.get_by_label("Giorno del regolamento").fill(f"{flow_day:%d/%m/%Y}")
    office.get_by_role("button", name="Mostra").click()
    expect(office.locator("#content-main")).to_contain_text("Trasporto scolastico")
    audit(office, "FdR totals")
    office.screenshot(path=SCREENSHOTS / "fdr-totals.png", full_page=True)

    office.goto(f"{base}/admin/payments/fdrflow/non-rendicontate/")
    expect(office.locator("#content-main")).not_to_contain_text(dropped_iuv)  # too early to worry
    office.close()
