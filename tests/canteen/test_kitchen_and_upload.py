"""Attendance from outside: the school's upload with a preview (their schools only), the kitchen's API with a
per-school code (401, 422 with every row's problem, 429, revoked), every call logged; the kitchen's count leaves
out cancelled meals."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from canteen.models import Attendance, AttendanceBatch, KitchenApiCall, MealCancellation
from canteen.services.kitchen import RATE_LIMIT_CALLS, kitchen_token_issue, kitchen_token_revoke
from enrollment import exports
from enrollment.models import SchoolStaff
from payments.models import LedgerEntry
from tests.enrollment.factories import UserFactory

D = datetime.date
GIULIA = "RSSGLI18C52H501V"
LUCA = "BNCLCU18A01H501F"
API = "/mensa/api/presenze/"


@pytest.fixture
def secretary(rodari):
    user = UserFactory()
    SchoolStaff.objects.create(user=user).schools.add(rodari)
    return user


@pytest.fixture
def ready(meal_enrollment, classmate_enrollment, now_at):
    now_at(2026, 12, 3, 15, 0, 0)
    return meal_enrollment, classmate_enrollment


@pytest.mark.django_db
def test_the_secretary_uploads_previews_and_confirms(client, secretary, rodari, ready):
    client.force_login(secretary)
    upload = SimpleUploadedFile("oggi.csv", f"{GIULIA};02/12/2026;presente\n{LUCA};02/12/2026;boh\n".encode())
    response = client.post(reverse("canteen:attendance_upload"), {"school": rodari.pk, "file": upload})
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "presenza non valida: «boh» (presente o assente)" in page
    assert "Conferma 1 riga valida" in page
    assert not LedgerEntry.objects.exists()
    client.post(response.url, {"action": "apply"})
    assert AttendanceBatch.objects.get().status == AttendanceBatch.Status.APPLIED
    assert LedgerEntry.objects.get().amount == Decimal("-4.50")


@pytest.mark.django_db
def test_a_missing_school_or_file_is_said_on_the_page(client, secretary, ready):
    client.force_login(secretary)
    response = client.post(reverse("canteen:attendance_upload"), {})
    assert response.status_code == 400
    assert "Scegli la scuola." in response.content.decode()


@pytest.mark.django_db
def test_other_schools_and_other_users_get_404(client, secretary, montessori, ready, parent):
    client.force_login(secretary)
    upload = SimpleUploadedFile("x.csv", b"x")
    response = client.post(reverse("canteen:attendance_upload"), {"school": montessori.pk, "file": upload})
    assert response.status_code == 400  # not one of hers: not offered, "choose the school"
    batch = AttendanceBatch.objects.create(school=montessori, source="upload")
    assert client.get(reverse("canteen:attendance_batch", args=[batch.pk])).status_code == 404
    client.force_login(parent)
    assert client.get(reverse("canteen:attendance_upload")).status_code == 404


@pytest.fixture
def kitchen(rodari):
    row, token = kitchen_token_issue(school=rodari, name="Cucina centrale", actor=None)
    return row, {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.django_db
def test_the_kitchen_posts_json_and_csv(client, kitchen, ready):
    row, auth = kitchen
    assert len(row.token_sha256) == 64
    body = {"righe": [{"codice_fiscale": GIULIA, "data": "2026-12-02", "presenza": True, "tipo_pasto": "normale"}]}
    response = client.post(API, json.dumps(body), content_type="application/json", **auth)
    assert response.status_code == 200
    assert response.json()["addebitati"] == 1
    csv_body = f"{LUCA};02/12/2026;presente;in bianco\n"
    response = client.post(API, csv_body, content_type="text/csv", **auth)
    assert response.json()["addebitati"] == 1
    assert Attendance.objects.count() == 2
    assert list(KitchenApiCall.objects.values_list("status_code", flat=True)) == [200, 200]


@pytest.mark.django_db
def test_one_bad_row_and_nothing_is_applied(client, kitchen, ready):
    _row, auth = kitchen
    body = {
        "righe": [{"codice_fiscale": GIULIA, "data": "02/12/2026", "presenza": "presente"}, {"codice_fiscale": "X"}]
    }
    response = client.post(API, json.dumps(body), content_type="application/json", **auth)
    assert response.status_code == 422
    assert response.json()["righe_con_errori"][0]["line"] == 2
    assert not Attendance.objects.exists()
    assert KitchenApiCall.objects.get().row_errors == 1


@pytest.mark.django_db
def test_no_code_a_wrong_or_revoked_code_and_the_rate_limit(client, kitchen, ready):
    row, auth = kitchen
    assert client.post(API, "{}", content_type="application/json").status_code == 401
    bad = {"HTTP_AUTHORIZATION": "Bearer mensa_nope"}
    assert client.post(API, "{}", content_type="application/json", **bad).status_code == 401
    statuses = [
        client.post(API, "[]", content_type="application/json", **auth).status_code
        for _ in range(RATE_LIMIT_CALLS + 1)
    ]
    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {400}
    kitchen_token_revoke(token=row)
    assert client.post(API, "[]", content_type="application/json", **auth).status_code == 401
    assert KitchenApiCall.objects.count() == RATE_LIMIT_CALLS + 4


@pytest.mark.django_db
def test_the_kitchen_count_leaves_out_cancelled_meals(meal_enrollment, classmate_enrollment, parent, rodari):
    MealCancellation.objects.create(enrollment=meal_enrollment, date=D(2026, 12, 4), created_by=parent)
    MealCancellation.objects.create(
        enrollment=classmate_enrollment, date=D(2026, 12, 4), created_by=parent, kind="light"
    )
    counts = exports.kitchen_counts(school_ids=[rodari.pk], day=D(2026, 12, 4))[rodari.pk]
    assert counts["total"] == 1
    assert counts["cancelled"] == 1
    assert counts["light"] == 1
    assert exports.kitchen_counts(school_ids=[rodari.pk], day=D(2026, 12, 7))[rodari.pk]["total"] == 2
