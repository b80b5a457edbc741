"""Nursery groups take children of their age, and the nursery's pickup page says what it asks (issue 10, item 9)."""

import datetime

import pytest

from enrollment.models import SchoolClass
from enrollment.services.fields import age_in_months

from .factories import EnrollmentWindowFactory, child_of
from .helpers import page_text, post_step, start, step_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def nido(nursery):
    return nursery.schools.get()


@pytest.fixture
def groups(nido):
    return {
        "Lattanti": SchoolClass.objects.create(school=nido, name="Lattanti", min_age_months=3, max_age_months=12),
        "Divezzi": SchoolClass.objects.create(school=nido, name="Divezzi", min_age_months=24, max_age_months=36),
    }


@pytest.fixture
def nursery_window(nursery, school_year, nursery_plan):
    return EnrollmentWindowFactory(service=nursery, school_year=school_year)


def _draft(parent, parent_client, nursery_window, nido, birth_date):
    baby = child_of(parent, first_name="Pietro", birth_date=birth_date)
    draft = start(parent_client, baby, nursery_window)
    post_step(parent_client, draft, "scuola", {"school": nido.pk})
    return draft


def test_age_in_months_counts_whole_months():
    assert age_in_months(birth_date=datetime.date(2026, 3, 15), on=datetime.date(2026, 4, 14)) == 0
    assert age_in_months(birth_date=datetime.date(2026, 3, 15), on=datetime.date(2026, 4, 15)) == 1
    assert age_in_months(birth_date=datetime.date(2018, 3, 12), on=datetime.date(2026, 9, 14)) == 102


def test_the_groups_are_listed_with_their_ages(parent, parent_client, nursery_window, nido, groups, school_year):
    draft = _draft(parent, parent_client, nursery_window, nido, school_year.starts_on - datetime.timedelta(days=200))
    page = page_text(parent_client.get(step_url(draft, "classe")))
    assert "Lattanti (da 3 a 12 mesi)" in page
    assert "Divezzi (da 24 a 36 mesi)" in page


def test_a_baby_in_the_babies_group_is_accepted(parent, parent_client, nursery_window, nido, groups, school_year):
    draft = _draft(parent, parent_client, nursery_window, nido, school_year.starts_on - datetime.timedelta(days=200))
    response = post_step(parent_client, draft, "classe", {"school_class": groups["Lattanti"].pk})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.school_class == groups["Lattanti"]


def test_a_nine_year_old_in_the_babies_group_is_refused_with_the_groups_ages(
    parent, parent_client, nursery_window, nido, groups, school_year
):
    born = school_year.starts_on.replace(year=school_year.starts_on.year - 9)
    draft = _draft(parent, parent_client, nursery_window, nido, born)

    response = post_step(parent_client, draft, "classe", {"school_class": groups["Lattanti"].pk})

    assert response.status_code == 200
    text = page_text(response)
    assert "Il gruppo «Lattanti» accoglie bambini da 3 mesi a 12 mesi all'inizio dell'anno" in text
    assert "Pietro avrà 9 anni" in text
    draft.refresh_from_db()
    assert draft.school_class is None


def test_a_baby_too_young_for_the_older_group_is_refused(
    parent, parent_client, nursery_window, nido, groups, school_year
):
    draft = _draft(parent, parent_client, nursery_window, nido, school_year.starts_on - datetime.timedelta(days=200))
    response = post_step(parent_client, draft, "classe", {"school_class": groups["Divezzi"].pk})
    assert "accoglie bambini da 2 anni a 3 anni" in page_text(response)
    assert "Pietro avrà 6 mesi" in page_text(response)


def test_the_nursery_pickup_page_speaks_of_the_nursery_and_asks_at_least_the_parent(
    parent, parent_client, nursery_window, nido, groups, school_year
):
    draft = _draft(parent, parent_client, nursery_window, nido, school_year.starts_on - datetime.timedelta(days=200))
    page = page_text(parent_client.get(step_url(draft, "ritiro")))
    assert "al nido" in page
    assert "fermata" not in page
    assert "oltre a te" not in page

    response = post_step(parent_client, draft, "ritiro", {"pickup_adults": ""})

    assert response.status_code == 200
    assert "Scrivi almeno un adulto, anche solo te" in page_text(response)
    post_step(parent_client, draft, "ritiro", {"pickup_adults": "Anna Verdi, C.I. CA12345AB"})
    draft.refresh_from_db()
    assert draft.pickup_adults == "Anna Verdi, C.I. CA12345AB"
