"""Children and guardianship: adding a child, the CF checks, scoping (HTTP and services)."""

import datetime

import pytest
from django.urls import reverse

from accounts import errors, selectors, services
from accounts.models import Child, FamilyEvent, Guardianship

GIULIA = {"codice_fiscale": "RSSGLI18C52H501V", "first_name": "Giulia", "last_name": "Rossi"}
CONFIRMED = {**GIULIA, "confirmed_cf": "RSSGLI18C52H501V"}


def add_child(adult, **overrides):
    data = {**GIULIA, "birth_date": datetime.date(2018, 3, 12), "sex": "F", **overrides}
    return services.child_add(adult=adult, **data)


def test_child_add_makes_the_parent_reference_and_logs_it(parent):
    child = add_child(parent)
    guardianship = Guardianship.objects.get(child=child)
    assert (guardianship.adult, guardianship.role, guardianship.granted_by) == (parent, "reference", parent)
    assert FamilyEvent.objects.get(child=child).action == FamilyEvent.Action.CHILD_ADDED


def test_child_add_checks_every_field_against_the_cf(parent):
    with pytest.raises(errors.CodiceFiscaleMismatchError) as excinfo:
        add_child(parent, first_name="Marco", last_name="Bianchi", birth_date=datetime.date(2018, 3, 13), sex="M")
    assert set(excinfo.value.fields) == {"first_name", "last_name", "birth_date", "sex"}
    assert not Child.objects.exists()


def test_a_known_cf_is_never_attached_again(parent, other_parent):
    add_child(parent)
    with pytest.raises(errors.ChildAlreadyKnownError):
        add_child(other_parent)
    assert Guardianship.objects.filter(adult=other_parent).count() == 0


def test_family_page_lists_children_with_age(parent_client, parent):
    add_child(parent)
    body = parent_client.get(reverse("accounts:family")).content.decode()
    assert "Giulia Rossi" in body
    assert "anni" in body


def test_add_child_page_asks_only_the_names_and_shows_what_the_cf_says(parent_client):
    page = parent_client.get(reverse("accounts:child_add")).content.decode()
    assert 'name="birth_date"' not in page
    assert 'name="sex"' not in page

    response = parent_client.post(reverse("accounts:child_add"), {**GIULIA, "codice_fiscale": "rssgli18c52h501v"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "Controlla i dati letti dal codice fiscale" in body
    assert "12/03/2018, Roma" in body
    assert "femmina" in body
    assert 'name="confirmed_cf" value="RSSGLI18C52H501V"' in body
    assert 'value="Giulia"' in body
    assert not Child.objects.exists()


def test_a_cf_changed_after_the_confirmation_is_shown_again(parent_client):
    data = {
        **CONFIRMED,
        "codice_fiscale": "RSSMRC19A01H501M",
        "first_name": "Marco",
        "confirmed_cf": GIULIA["codice_fiscale"],
    }
    response = parent_client.post(reverse("accounts:child_add"), data)
    assert "Controlla i dati letti dal codice fiscale" in response.content.decode()
    assert not Child.objects.exists()


def test_add_child_page_creates_child_with_the_cfs_birth_date_and_sex(parent_client, parent):
    response = parent_client.post(reverse("accounts:child_add"), {**CONFIRMED, "codice_fiscale": "rssgli18c52h501v"})
    child = Child.objects.get()
    assert (child.birth_date, child.sex) == (datetime.date(2018, 3, 12), "F")
    assert response.status_code == 302
    assert response.url == reverse("accounts:child_detail", kwargs={"pk": child.pk})
    assert parent_client.get(response.url).status_code == 200


def test_add_child_page_says_which_field_disagrees_and_keeps_input(parent_client):
    response = parent_client.post(reverse("accounts:child_add"), {**CONFIRMED, "first_name": "Marta"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Il nome non corrisponde al codice fiscale" in body
    assert "Il cognome non corrisponde" not in body
    assert 'value="Marta"' in body
    assert not Child.objects.exists()


def test_add_child_page_for_a_known_cf_reveals_nothing(parent_client, other_parent):
    add_child(other_parent)
    response = parent_client.post(reverse("accounts:child_add"), CONFIRMED)
    body = response.content.decode()
    assert response.status_code == 200
    assert "già presente nel portale" in body
    assert other_parent.last_name not in body
    assert other_parent.email not in body


@pytest.mark.parametrize(
    "overrides",
    [
        {"codice_fiscale": "RSSGLI18C52H501X"},
        {"codice_fiscale": "RSSMRA85C52H501N", "first_name": "Maria", "confirmed_cf": "RSSMRA85C52H501N"},  # adult
        {"first_name": "x" * 10_000},
        {"codice_fiscale": "\x00" * 16},
    ],
)
def test_add_child_bad_input_is_a_form_error(parent_client, overrides):
    response = parent_client.post(reverse("accounts:child_add"), {**CONFIRMED, **overrides})
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert not Child.objects.exists()


def test_another_familys_child_is_a_404(client, parent, other_parent):
    child = add_child(parent)
    client.force_login(other_parent)
    assert client.get(reverse("accounts:child_detail", kwargs={"pk": child.pk})).status_code == 404
    assert client.get(reverse("accounts:child_detail", kwargs={"pk": 999_999})).status_code == 404
    assert list(selectors.children_for_user(user=other_parent)) == []


def test_family_page_query_count_does_not_grow_with_children(parent_client, parent, django_assert_num_queries):
    cfs = ["RSSGLI18C52H501V", "RSSMRC20P05H501X"]
    add_child(parent)
    parent_client.get(reverse("accounts:family"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Both requests compute the family summary (portal.family_cache), as the first one after a change does.
    services.family_summary_invalidate(user_ids=[parent.pk])
    with CaptureQueriesContext(connection) as one:
        parent_client.get(reverse("accounts:family"))
    add_child(parent, codice_fiscale=cfs[1], first_name="Marco", birth_date=datetime.date(2020, 9, 5), sex="M")
    for n in range(4):
        child = Child.objects.create(
            codice_fiscale=f"EXTRA{n:011d}",  # stored directly: the CF checks are not under test here
            first_name="Extra",
            last_name="Rossi",
            birth_date=datetime.date(2020, 9, 5),
            sex="M",
        )
        Guardianship.objects.create(adult=parent, child=child, role="reference")
    assert selectors.children_for_user(user=parent).count() == 6
    services.family_summary_invalidate(user_ids=[parent.pk])  # the rows above were written without a service
    with django_assert_num_queries(len(one.captured_queries)):
        parent_client.get(reverse("accounts:family"))


def test_family_page_cards_follow_changes_to_the_children_and_details(parent_client, parent):
    add_child(parent)
    assert "Giulia Rossi" in parent_client.get(reverse("accounts:family")).content.decode()
    child = Child.objects.get(codice_fiscale=GIULIA["codice_fiscale"])
    Child.objects.filter(pk=child.pk).update(first_name="Giuliana")
    services.family_summary_invalidate(child_ids=[child.pk])  # as the office's change in the admin does
    services.user_profile_update(user=parent, first_name="Maria", last_name="Rossi", phone="+39 333 1112223")
    body = parent_client.get(reverse("accounts:family")).content.decode()
    assert "Giuliana Rossi" in body
    assert "+39 333 1112223" in body
