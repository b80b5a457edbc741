"""The school staff's page: only their schools and routes (another's id is a 404), CSV downloads, health data."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from enrollment.models import Enrollment, HealthDataAccess, SchoolStaff

from .factories import ChildFactory, UserFactory, enrollment_make

pytestmark = pytest.mark.django_db

HOME = "enrollment:school_staff"


@pytest.fixture
def secretary(school, route):
    user = UserFactory(first_name="Segreteria")
    staff = SchoolStaff.objects.create(user=user)
    staff.schools.add(school)
    staff.routes.add(route)
    return user


@pytest.fixture
def secretary_client(client, secretary):
    client.force_login(secretary)
    return client


@pytest.fixture
def enrolled(canteen, transport, school, other_school, school_class, school_year, route):
    enrollment_make(
        status=Enrollment.Status.ACCEPTED,
        child=ChildFactory(first_name="Vera", last_name="Verdi"),
        service=canteen,
        school_year=school_year,
        school=school,
        school_class=school_class,
        diet=Enrollment.Diet.VEGETARIAN,
        diet_status=Enrollment.DietStatus.ACCEPTED,
    )
    enrollment_make(
        status=Enrollment.Status.ACCEPTED,
        child=ChildFactory(first_name="Otto", last_name="Altrove"),
        service=canteen,
        school_year=school_year,
        school=other_school,
    )
    enrollment_make(
        status=Enrollment.Status.ACCEPTED,
        child=ChildFactory(first_name="Bea", last_name="Bus"),
        service=transport,
        school_year=school_year,
        school=school,
        route=route,
        stop=route.stops.first(),
        direction=Enrollment.Direction.BOTH,
    )


def csv_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    return data.decode("utf-8-sig")


def test_anonymous_visitors_are_sent_to_the_login(client, school):
    response = client.get(reverse(HOME))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_users_without_a_school_staff_row_get_404(client, school, school_year):
    client.force_login(UserFactory())
    assert client.get(reverse(HOME)).status_code == 404
    assert client.get(reverse("enrollment:school_roster", kwargs={"pk": school.pk})).status_code == 404


def test_the_page_lists_only_the_users_schools_and_routes(secretary_client, school, other_school, route, school_year):
    response = secretary_client.get(reverse(HOME))
    body = response.content.decode()

    assert response.status_code == 200
    assert school.name in body
    assert other_school.name not in body
    assert route.name in body
    assert reverse("enrollment:school_roster", kwargs={"pk": school.pk}) in body
    assert "nomi=1" not in body  # no health data permission: no names link
    assert "Gli elenchi contengono solo le iscrizioni accolte" in body


def test_roster_of_the_users_school_only(secretary_client, school, other_school, school_year, enrolled):
    text = csv_text(secretary_client.get(reverse("enrollment:school_roster", kwargs={"pk": school.pk})))
    assert "Verdi;Vera" in text
    assert "Altrove" not in text

    other = secretary_client.get(reverse("enrollment:school_roster", kwargs={"pk": other_school.pk}))
    assert other.status_code == 404
    kitchen = secretary_client.get(
        reverse("enrollment:school_kitchen", kwargs={"pk": other_school.pk}), {"giorno": "05/10/2026"}
    )
    assert kitchen.status_code == 404


def test_transport_list_of_the_users_routes_only(secretary_client, route, other_route, enrolled):
    text = csv_text(secretary_client.get(reverse("enrollment:school_transport", kwargs={"pk": route.pk})))
    assert "Bus;Bea" in text
    assert (
        secretary_client.get(reverse("enrollment:school_transport", kwargs={"pk": other_route.pk})).status_code == 404
    )


def test_kitchen_list_counts_a_day_and_names_nobody_without_the_permission(secretary_client, school, enrolled):
    url = reverse("enrollment:school_kitchen", kwargs={"pk": school.pk})
    text = csv_text(secretary_client.get(url, {"giorno": "2026-10-05", "nomi": "1"}))
    assert "vegetariana;1" in text
    assert "Verdi" not in text
    assert not HealthDataAccess.objects.exists()


def test_kitchen_list_with_names_for_a_kitchen_allowed_to_see_health_data(
    secretary_client, secretary, school, enrolled
):
    secretary.user_permissions.add(Permission.objects.get(codename="view_health_data"))
    assert "nomi=1" in secretary_client.get(reverse(HOME)).content.decode()

    url = reverse("enrollment:school_kitchen", kwargs={"pk": school.pk})
    text = csv_text(secretary_client.get(url, {"giorno": "05/10/2026", "nomi": "1"}))
    assert "vegetariana;;3A;Verdi;Vera;" in text
    access = HealthDataAccess.objects.get()
    assert (access.user, access.action) == (secretary, HealthDataAccess.Action.EXPORT)


def test_a_bad_day_is_said_on_the_page_with_what_was_typed(secretary_client, school):
    response = secretary_client.get(
        reverse("enrollment:school_kitchen", kwargs={"pk": school.pk}), {"giorno": "31/02"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Scrivi il giorno come gg/mm/aaaa" in body
    assert 'value="31/02"' in body

    response = secretary_client.get(reverse(HOME), {"giorno": "domani"})
    assert response.status_code == 400
    assert 'value="domani"' in response.content.decode()


def test_an_unknown_school_year_is_a_404(secretary_client, school):
    assert secretary_client.get(reverse(HOME), {"anno": "999999"}).status_code == 404
