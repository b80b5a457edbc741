"""The office at the scale of a city (issue 10, item 12): the review list's columns, search by what a parent gives on
the phone, decisions at the top with "Accogli e passa alla successiva", the child's page with its enrollments,
notices and balances, and the balances filter for debts."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Guardianship
from enrollment.models import Enrollment
from payments.models import Balance
from payments.services import ledger_adjust
from tests.enrollment.factories import ChildFactory, UserFactory, child_of, enrollment_make

pytestmark = pytest.mark.django_db
Status = Enrollment.Status


def _headers(body: str) -> list[str]:
    table = body[body.index('id="result_list"') :]
    head = table[table.index("<thead>") : table.index("</thead>")]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th\b[^>]*>(.*?)</th>", head, re.S)]


def test_the_list_puts_status_submission_and_isee_before_service_and_school(office_client, queue):
    body = office_client.get(reverse("admin:enrollment_enrollment_changelist")).content.decode()

    headers = [h.lower() for h in _headers(body) if h]
    assert headers[:5] == ["protocollo", "bambino", "stato", "inviata il", "isee"]
    assert "anno scolastico" not in headers  # a filter, not a column
    assert len(headers) <= 9
    assert queue["anna"].child.codice_fiscale in body  # the CF is under the name


@pytest.mark.parametrize(
    "query",
    ["Ferraro", "FRRLNE80A41H501X", "elena.ferraro@example.it", "Elena Ferraro"],
    ids=["surname", "cf", "email", "full name"],
)
def test_search_finds_an_application_by_the_parents_name_cf_or_email(office_client, queue, query):
    parent = UserFactory(
        first_name="Elena", last_name="Ferraro", codice_fiscale="FRRLNE80A41H501X", email="elena.ferraro@example.it"
    )
    Guardianship.objects.create(adult=parent, child=queue["bruno"].child, role=Guardianship.Role.REFERENCE)

    body = office_client.get(reverse("admin:enrollment_enrollment_changelist"), {"q": query}).content.decode()

    assert queue["bruno"].protocol in body
    assert queue["anna"].protocol not in body


def test_the_decisions_come_before_the_record(office_client, queue):
    body = office_client.get(reverse("admin:enrollment_enrollment_change", args=[queue["anna"].pk])).content.decode()

    assert body.index("Decisioni dell'ufficio") < body.index('id="enrollment_form"')
    assert 'name="next" value="Accogli e passa alla successiva"' in body


def test_accept_and_next_opens_the_oldest_submitted_enrollment_of_the_same_service(office_client, queue):
    anna, bruno = queue["anna"], queue["bruno"]
    act = reverse("admin:enrollment_enrollment_act", args=[anna.pk])

    response = office_client.post(act, {"op": "accept", "next": "Accogli e passa alla successiva"})

    anna.refresh_from_db()
    assert anna.status == Status.ACCEPTED
    assert response.status_code == 302
    assert response.url == reverse("admin:enrollment_enrollment_change", args=[bruno.pk])


def test_accept_and_next_on_the_last_one_returns_to_the_list_of_those_to_examine(office_client, queue):
    office_client.post(reverse("admin:enrollment_enrollment_act", args=[queue["anna"].pk]), {"op": "accept"})
    bruno = queue["bruno"]

    response = office_client.post(
        reverse("admin:enrollment_enrollment_act", args=[bruno.pk]), {"op": "accept", "next": "1"}, follow=True
    )

    assert response.redirect_chain[-1][0].startswith(reverse("admin:enrollment_enrollment_changelist"))
    assert "Non ci sono altre iscrizioni da esaminare" in response.content.decode()


def test_plain_accept_stays_on_the_record(office_client, queue):
    anna = queue["anna"]
    response = office_client.post(reverse("admin:enrollment_enrollment_act", args=[anna.pk]), {"op": "accept"})
    assert response.url == reverse("admin:enrollment_enrollment_change", args=[anna.pk])


def test_the_childs_page_shows_enrollments_notices_and_balances(superuser_client, queue, canteen):
    child = queue["anna"].child
    ledger_adjust(child=child, service_kind=canteen.kind, amount=Decimal("-4.50"), reason="Pasti di prova", actor=None)

    body = superuser_client.get(reverse("admin:accounts_child_change", args=[child.pk])).content.decode()

    assert "Iscrizioni" in body
    assert reverse("admin:enrollment_enrollment_change", args=[queue["anna"].pk]) in body
    assert "Saldi" in body
    assert "-4,50" in body
    assert "Avvisi di pagamento" in body


def test_the_balances_list_filters_the_negative_ones(superuser_client, canteen):
    debtor, creditor = ChildFactory(last_name="Debitore"), ChildFactory(last_name="Creditore")
    ledger_adjust(child=debtor, service_kind=canteen.kind, amount=Decimal("-10.00"), reason="Prova", actor=None)
    ledger_adjust(child=creditor, service_kind=canteen.kind, amount=Decimal("10.00"), reason="Prova", actor=None)
    assert Balance.objects.count() == 2

    body = superuser_client.get(reverse("admin:payments_balance_changelist"), {"segno": "negativo"}).content.decode()

    assert "Debitore" in body
    assert "Creditore" not in body


def test_a_child_page_of_a_large_family_lists_every_year(superuser_client, canteen, school_year, school):
    parent = UserFactory()
    child = child_of(parent)
    enrollment_make(child=child, service=canteen, school_year=school_year, school=school, submitted_at=timezone.now())

    response = superuser_client.get(reverse("admin:accounts_child_change", args=[child.pk]))

    assert response.status_code == 200
    assert school_year.name in response.content.decode()
