"""The parents' meals page through HTTP: calendar, cancel before the cut-off (and refused after it, even forged),
threshold, statement CSV/PDF, year-end request; another family's child is a 404."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from canteen import services
from canteen.models import Attendance, LowBalanceThreshold, MealCancellation, YearEndRequest
from payments.services import ledger_record

D = datetime.date


def meals_url(child) -> str:
    return reverse("canteen:meals", kwargs={"child_id": child.pk})


@pytest.fixture
def served_and_topped_up(meal_enrollment):
    child = meal_enrollment.child
    ledger_record(child=child, service_kind="canteen", kind="topup", amount=Decimal("50.00"), reason="Ricarica")
    for day in (D(2026, 12, 1), D(2026, 12, 2)):
        Attendance.objects.create(enrollment=meal_enrollment, date=day, present=True)
        services.meals_settle(day=day, enrollment_ids=[meal_enrollment.pk])
    return meal_enrollment


@pytest.mark.django_db
def test_the_meals_page_shows_the_month_balance_chart_and_entries(parent_client, served_and_topped_up, now_at):
    now_at(2026, 12, 3, 8, 0, 0)
    child = served_and_topped_up.child
    response = parent_client.get(meals_url(child))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mensa di Giulia Rossi" in html
    assert "41,00" in html  # 50 - 2 x 4,50
    assert "<svg" in html
    assert "<polyline" in html
    assert "Pasto del 02/12/2026 (normale)" in html
    assert html.count("pasto consumato") == 2
    assert 'value="2026-12-03"' in html  # today before the cut-off: still cancellable
    assert 'value="2026-12-02"' not in html


@pytest.mark.django_db
def test_a_parent_cancels_tomorrow_and_sees_it(parent_client, meal_enrollment, now_at):
    now_at(2026, 12, 3, 18, 0, 0)
    child = meal_enrollment.child
    response = parent_client.post(
        reverse("canteen:cancel", kwargs={"child_id": child.pk}),
        {"days": ["2026-12-04"], "kind": "cancel", "action": "cancel", "mese": "2026-12"},
    )
    assert response.status_code == 302
    assert MealCancellation.objects.get().date == D(2026, 12, 4)
    page = parent_client.get(response.url).content.decode()
    assert "disdetto" in page


@pytest.mark.django_db
def test_a_forged_cancellation_after_the_cut_off_is_refused_on_the_page(parent_client, meal_enrollment, now_at):
    now_at(2026, 12, 3, 9, 30, 0)
    child = meal_enrollment.child
    response = parent_client.post(
        reverse("canteen:cancel", kwargs={"child_id": child.pk}),
        {"days": ["2026-12-03"], "kind": "cancel", "action": "cancel", "mese": "2026-12"},
    )
    assert response.status_code == 400
    assert "ora limite" in response.content.decode()
    assert not MealCancellation.objects.exists()


@pytest.mark.django_db
def test_a_range_cancels_only_service_days(parent_client, meal_enrollment, now_at):
    now_at(2026, 12, 3, 18, 0, 0)
    child = meal_enrollment.child
    response = parent_client.post(
        reverse("canteen:cancel", kwargs={"child_id": child.pk}),
        {"first": "2026-12-04", "last": "2026-12-11", "kind": "cancel", "action": "cancel", "mese": "2026-12"},
    )
    assert response.status_code == 302
    days = sorted(MealCancellation.objects.values_list("date", flat=True))
    assert days == [D(2026, 12, 4), D(2026, 12, 7), D(2026, 12, 9), D(2026, 12, 10), D(2026, 12, 11)]  # no 8th


@pytest.mark.django_db
def test_another_familys_child_is_a_404(client, other_parent, meal_enrollment):
    client.force_login(other_parent)
    assert client.get(meals_url(meal_enrollment.child)).status_code == 404
    assert (
        client.get(reverse("canteen:statement_csv", kwargs={"child_id": meal_enrollment.child.pk})).status_code == 404
    )


@pytest.mark.django_db
def test_threshold_saved_and_bad_value_kept(parent_client, meal_enrollment):
    child = meal_enrollment.child
    url = reverse("canteen:threshold", kwargs={"child_id": child.pk})
    bad = parent_client.post(url, {"amount": "mille"})
    assert bad.status_code == 400
    assert 'value="mille"' in bad.content.decode() or "mille" in bad.content.decode()
    assert parent_client.post(url, {"amount": "12,50"}).status_code == 302
    assert LowBalanceThreshold.objects.get(child=child).amount == Decimal("12.50")


@pytest.mark.django_db
def test_statement_csv_and_pdf(parent_client, served_and_topped_up, now_at):
    now_at(2026, 12, 3, 8, 0, 0)
    child = served_and_topped_up.child
    csv_response = parent_client.get(reverse("canteen:statement_csv", kwargs={"child_id": child.pk}))
    text = b"".join(csv_response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "data;tipo;descrizione;importo;saldo"
    assert lines[-1].endswith(";-4,50;41,00")
    pdf = parent_client.get(reverse("canteen:statement_pdf", kwargs={"child_id": child.pk}))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.django_db
def test_year_end_refund_request_with_a_bad_iban_keeps_what_was_typed(parent_client, served_and_topped_up):
    child = served_and_topped_up.child
    url = reverse("canteen:year_end", kwargs={"child_id": child.pk})
    bad = parent_client.post(url, {"kind": "refund", "amount": "10,00", "iban": "IT00X0000000000000000000000"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "IBAN non valido" in html
    assert "IT00X0000000000000000000000" in html
    good = parent_client.post(url, {"kind": "refund", "amount": "10,00", "iban": "IT60 X054 2811 1010 0000 0123 456"})
    assert good.status_code == 302
    assert YearEndRequest.objects.get().iban == "IT60X0542811101000000123456"
