"""The canteen's journey in Chromium (issue 13): Maria Rossi cancels Giulia's next meal on the meals page (before the
cut-off, on the real clock), sees the day marked on the calendar; the school's file of that day and of the day
before reports Giulia present (by mistake on the cancelled day): the balance moves for the other day only, the
cancelled day stays "disdetto". Screenshots in var/screenshots/."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from accounts import services as account_services
from canteen import services as canteen_services
from canteen.models import CanteenCalendar, CanteenPolicy
from canteen.selectors import ServiceDays, cutoff_of, policy_of, today_local
from enrollment.models import Enrollment, ServiceKind
from payments.models import Balance
from payments.services import ledger_record
from tests.conftest import GIULIA, make_user
from tests.e2e.forms import log_in
from tests.e2e.test_payment_journeys import go_to_payments
from tests.enrollment.factories import SchoolFactory, SchoolYearFactory, ServiceFactory, enrollment_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PARENT_CF = "RSSMRA85C52H501N"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def canteen_family(documents) -> dict:
    """Maria, Giulia accepted in the canteen at 4,50 € with 50,00 € of credit; the next service day still open and
    the service day before it."""
    parent = make_user(codice_fiscale=PARENT_CF, email="maria.rossi@example.it", documents=documents)
    child = account_services.child_add(adult=parent, **GIULIA)
    today = today_local()
    start = today.year if today.month >= 9 else today.year - 1
    year = SchoolYearFactory(start=start)
    school = SchoolFactory(name="Scuola primaria Gianni Rodari", ministry_code="RMEE00101X")
    service = ServiceFactory(kind=ServiceKind.CANTEEN, schools=[school])
    CanteenCalendar.objects.create(school_year=year, school=school, first_day=year.starts_on, last_day=year.ends_on)
    CanteenPolicy.objects.create(school_year=year)
    enrollment = enrollment_make(
        child=child,
        service=service,
        school_year=year,
        school=school,
        status=Enrollment.Status.ACCEPTED,
        tariff_amount=Decimal("4.50"),
    )
    ledger_record(child=child, service_kind="canteen", kind="topup", amount=Decimal("50.00"), reason="Ricarica")
    days = sorted(ServiceDays().of(school_year_id=year.pk, school_id=school.pk))
    now = timezone.now()
    policy = policy_of(year.pk)
    upcoming = next(day for day in days if cutoff_of(day, policy) > now + datetime.timedelta(minutes=10))
    before = max(day for day in days if day < upcoming)
    return {"enrollment": enrollment.pk, "child": child.pk, "upcoming": upcoming, "before": before}


def school_reports_both_present(enrollment_id: int, days: list[datetime.date]) -> None:
    """The school's file, read the evening of the later day (the clock moved there for the import only)."""
    enrollment = Enrollment.objects.select_related("school").get(pk=enrollment_id)
    text = "".join(f"{GIULIA['codice_fiscale']};{day:%d/%m/%Y};presente\n" for day in days)
    evening = timezone.make_aware(datetime.datetime.combine(max(days), datetime.time(18, 0)))
    with time_machine.travel(evening, tick=False):
        batch = canteen_services.attendance_preview(
            content=text.encode(), filename="presenze.csv", school=enrollment.school, actor=None
        )
        assert batch.errors == []
        canteen_services.attendance_apply(batch=batch, actor=None)


def canteen_balance(child_id: int) -> Decimal:
    return Balance.objects.get(child_id=child_id, service_kind="canteen").amount


def test_parent_cancels_the_next_meal_and_the_import_leaves_it_uncharged(
    live_server, legal_documents, orm, page, audit
):
    base = live_server.url
    data = orm(canteen_family, legal_documents)
    upcoming: datetime.date = data["upcoming"]

    log_in(page, base, login=PARENT_CF)
    go_to_payments(page)
    page.locator("main").get_by_role("link", name=re.compile("^Pasti e disdette")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mensa di Giulia Rossi")
    expect(page.locator("main")).to_contain_text("50,00")
    month_url = f"{base}/mensa/{data['child']}/?mese={upcoming:%Y-%m}"
    page.goto(month_url)
    audit(page, "meals page")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "meals-before.png"), full_page=True)

    day_box = page.locator(f"input[name=days][value='{upcoming:%Y-%m-%d}']")
    day_box.check()
    expect(day_box).to_be_checked()
    page.get_by_role("button", name="Conferma la richiesta").click()
    expect(page.locator("main")).to_contain_text(f"pasto disdetto per {upcoming:%d/%m}")
    cell = page.locator("td.day-cancelled")
    expect(cell).to_have_count(1)
    expect(cell).to_contain_text(str(upcoming.day))
    expect(cell).to_contain_text("disdetto")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SCREENSHOTS / "meals-cancelled-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    orm(school_reports_both_present, data["enrollment"], [data["before"], upcoming])
    assert orm(canteen_balance, data["child"]) == Decimal("45.50")  # the day before only
    page.goto(month_url)
    expect(page.locator("main")).to_contain_text("45,50")
    expect(page.locator("td.day-cancelled")).to_contain_text(str(upcoming.day))
    audit(page, "meals page after the import")
