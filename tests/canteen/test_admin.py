"""The office's canteen in the admin, as the "Ufficio scuola" group (granted by migration): reports and their
`;` CSV, a day corrected by hand, an exception after the cut-off, a kitchen's code shown once, year-end requests
approved; "Ragioneria" reads the reports but corrects nothing."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.groups import ACCOUNTS_OFFICE_GROUP, OFFICE_GROUP
from canteen import services
from canteen.models import Attendance, KitchenToken, MealCancellation, MealException, YearEndRequest
from payments.models import LedgerEntry
from payments.services import ledger_record
from tests.portal.test_office_groups import _member

D = datetime.date
GIULIA = "RSSGLI18C52H501V"


@pytest.fixture
def office(client, legal_documents):
    client.force_login(_member(legal_documents, OFFICE_GROUP))
    return client


@pytest.fixture
def month_of_meals(meal_enrollment, classmate_enrollment, parent, now_at):
    now_at(2026, 12, 3, 15, 0, 0)
    ledger_record(
        child=meal_enrollment.child, service_kind="canteen", kind="topup", amount=Decimal("20.00"), reason="x"
    )
    for enrollment in (meal_enrollment, classmate_enrollment):
        for day in (D(2026, 12, 1), D(2026, 12, 2)):
            Attendance.objects.create(enrollment=enrollment, date=day, present=True)
            services.meals_settle(day=day, enrollment_ids=[enrollment.pk])
    MealCancellation.objects.create(enrollment=classmate_enrollment, date=D(2026, 12, 3), created_by=parent)
    Attendance.objects.create(enrollment=classmate_enrollment, date=D(2026, 12, 3), present=True)
    services.meals_settle(day=D(2026, 12, 3), enrollment_ids=[classmate_enrollment.pk])
    return meal_enrollment, classmate_enrollment


@pytest.mark.django_db
def test_meals_served_page_and_csv(office, month_of_meals):
    url = reverse("admin:canteen_report_meals")
    page = office.get(url, {"month": "12/2026"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Pasti serviti per scuola, giorno e tipo" in html
    response = office.get(url, {"month": "12/2026", "csv": "1"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "giorno;scuola;tipo_pasto;pasti_serviti;disdetti;presenti_ma_disdetti;corretti_a_mano"
    assert "01/12/2026;Scuola primaria Gianni Rodari;normale;2;0;0;0" in lines
    assert "03/12/2026;Scuola primaria Gianni Rodari;normale;0;1;1;0" in lines


@pytest.mark.django_db
def test_a_bad_month_is_said_and_kept(office, month_of_meals):
    page = office.get(reverse("admin:canteen_report_meals"), {"month": "tredici"})
    html = page.content.decode()
    assert "Scrivi il mese come mm/aaaa" in html
    assert 'value="tredici"' in html


@pytest.mark.django_db
def test_arrears_and_money_reports(office, month_of_meals):
    arrears = office.get(reverse("admin:canteen_report_arrears")).content.decode()
    assert "Bianchi Luca" in arrears  # 2 meals at 2,50, never topped up
    assert "Rossi Giulia" not in arrears
    money = office.get(reverse("admin:canteen_report_money"), {"month": "12/2026", "csv": "1"})
    lines = b"".join(money.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[-1] == "totale;1;20,00;4;-14,00;0;0,00"


@pytest.mark.django_db
def test_the_office_corrects_a_day_and_grants_an_exception(office, month_of_meals):
    giulia = month_of_meals[0]
    response = office.post(
        reverse("admin:canteen_attendance_correct"),
        {"codice_fiscale": GIULIA, "day": "01/12/2026", "present": "0", "meal_type": "normal"},
    )
    assert response.status_code == 302
    assert LedgerEntry.objects.filter(child=giulia.child, kind="adjustment").count() == 1
    response = office.post(
        reverse("admin:canteen_mealexception_add"),
        {"codice_fiscale": GIULIA, "date": "02/12/2026", "reason": "Sciopero annunciato in ritardo"},
    )
    assert response.status_code == 302
    assert MealException.objects.get().reason == "Sciopero annunciato in ritardo"
    assert LedgerEntry.objects.filter(child=giulia.child, kind="adjustment").count() == 2


@pytest.mark.django_db
def test_a_wrong_cf_on_the_correction_page_is_said(office, month_of_meals):
    response = office.post(
        reverse("admin:canteen_attendance_correct"),
        {"codice_fiscale": "RSSMRA85C52H501N", "day": "01/12/2026", "present": "0", "meal_type": "normal"},
    )
    assert response.status_code == 200
    assert "Nessun bambino iscritto alla mensa" in response.content.decode()


@pytest.mark.django_db
def test_a_kitchen_code_is_shown_once_and_stored_hashed(office, rodari):
    response = office.post(
        reverse("admin:canteen_kitchentoken_add"), {"school": rodari.pk, "name": "Cucina Rossi"}, follow=True
    )
    html = response.content.decode()
    token = KitchenToken.objects.get()
    assert "non sarà più mostrato" in html
    assert token.prefix in html
    assert token.token_sha256 not in html


@pytest.mark.django_db
def test_year_end_requests_approved_from_the_list(office, month_of_meals, parent):
    giulia = month_of_meals[0]
    request = services.year_end_request(
        user=parent, child=giulia.child, kind="refund", amount=Decimal("5.00"), iban="IT60X0542811101000000123456"
    )
    office.post(
        reverse("admin:canteen_yearendrequest_changelist"),
        {"action": "approve", "_selected_action": [request.pk]},
    )
    request.refresh_from_db()
    assert request.status == YearEndRequest.Status.APPROVED
    assert LedgerEntry.objects.get(kind="refund").amount == Decimal("-5.00")


@pytest.mark.django_db
def test_the_ragioneria_reads_but_does_not_correct(client, legal_documents, month_of_meals):
    client.force_login(_member(legal_documents, ACCOUNTS_OFFICE_GROUP))
    assert client.get(reverse("admin:canteen_report_arrears")).status_code == 200
    assert client.get(reverse("admin:canteen_attendance_correct")).status_code == 403


@pytest.mark.django_db
def test_an_exception_that_cannot_be_granted_is_said_on_the_form(office, month_of_meals):
    url = reverse("admin:canteen_mealexception_add")
    holiday = office.post(url, {"codice_fiscale": GIULIA, "date": "08/12/2026", "reason": "Sciopero"})
    assert holiday.status_code == 200
    assert "08/12/2026 la mensa di questa scuola non è in servizio" in holiday.content.decode()
    office.post(url, {"codice_fiscale": GIULIA, "date": "02/12/2026", "reason": "Febbre"})
    again = office.post(url, {"codice_fiscale": GIULIA, "date": "02/12/2026", "reason": "Febbre"})
    assert again.status_code == 200
    assert "c&#x27;è già un&#x27;eccezione" in again.content.decode()
    assert MealException.objects.count() == 1
