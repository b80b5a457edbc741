"""Issue 10, item 2: an accepted canteen enrollment says that meals are paid from the balance, with the tariff per
meal and an example ("20 pasti = 56,00 €"), and offers the top-up, in the e-mail and on the enrollment page; the
family page shows the canteen balance of every child accepted in the canteen, also at 0,00 €."""

from decimal import Decimal

import pytest
from django.urls import reverse

from enrollment import services
from enrollment.models import Enrollment
from enrollment.tariffs import meals_example
from portal.models import OutboxEmail
from portal.money import euro_format

from .factories import draft_ready

pytestmark = pytest.mark.django_db

TOPUP = reverse("payments:topup")


@pytest.fixture
def canteen_accepted(parent, giulia, school_year, school, school_class, canteen, canteen_window, canteen_plan, office):
    draft = draft_ready(
        user=parent, child=giulia, service=canteen, school_year=school_year, school=school, school_class=school_class
    )
    submitted = services.enrollment_submit(enrollment=draft, user=parent, declarations=True)
    Enrollment.objects.filter(pk=submitted.pk).update(tariff_amount=Decimal("2.80"))  # 20 meals = 56,00 €
    submitted.refresh_from_db()
    return services.enrollment_accept(enrollment=submitted, actor=office)


def test_the_example_is_computed_by_the_money_helper():
    assert meals_example(Decimal("2.80")) == Decimal("56.00")
    assert meals_example(Decimal("3.333")) == Decimal("66.66")
    assert euro_format(meals_example(Decimal("2.80")), space=" ") == "56,00 €"


def test_the_acceptance_email_of_the_canteen_explains_the_balance_and_offers_the_topup(canteen_accepted, giulia):
    sent = OutboxEmail.objects.get(kind="enrollment_accepted")
    text = sent.body_text.replace("\u00a0", " ")
    assert "Non devi fare nulla" not in text
    assert "I pasti si pagano dal credito della mensa" in text
    assert "La tariffa è di 2,80 € a pasto: ad esempio, 20 pasti = 56,00 €." in text
    assert f"{TOPUP}?child={giulia.pk}&service=canteen" in text
    html = sent.body_html.replace("\u00a0", " ")
    assert "20 pasti = 56,00 €" in html
    assert f"{TOPUP}?child={giulia.pk}&amp;service=canteen" in html


def test_the_canteen_enrollment_page_explains_the_balance_and_offers_the_topup(
    parent_client, canteen_accepted, giulia
):
    html = parent_client.get(reverse("enrollment:detail", kwargs={"pk": canteen_accepted.pk})).content.decode()
    text = html.replace("\u00a0", " ")
    assert "I pasti si pagano dal credito della mensa" in text
    assert "La tariffa è di 2,80 € a pasto: ad esempio, 20 pasti = 56,00 €." in text
    assert f"{TOPUP}?child={giulia.pk}&amp;service=canteen" in html


def test_the_family_page_shows_the_canteen_balance_at_zero_for_each_child_accepted(
    parent_client, parent, canteen_accepted, canteen, school_year, school, school_class, office
):
    from tests.payments.factories import child_make

    marco = child_make(adult=parent, first_name="Marco", last_name="Rossi")
    draft = draft_ready(
        user=parent, child=marco, service=canteen, school_year=school_year, school=school, school_class=school_class
    )
    submitted = services.enrollment_submit(enrollment=draft, user=parent, declarations=True)
    services.enrollment_accept(enrollment=submitted, actor=office)
    html = parent_client.get(reverse("accounts:family")).content.decode()
    balances = html.split('id="family-payments"', 1)[1].split("</section>", 1)[0]
    assert balances.count("<span>Refezione scolastica (mensa)</span>") == 2
    assert balances.count("0,00&nbsp;€") == 2
    assert f"{TOPUP}?child={marco.pk}&amp;service=canteen" in balances
    assert f"{TOPUP}?child={canteen_accepted.child_id}&amp;service=canteen" in balances
