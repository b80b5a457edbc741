"""Schools as creditors: the office enables a school, its staff create payment events, parents see and pay them
(with the Comune's notices, in one cart), the school follows who paid, reminds, cancels."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail as django_mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Enrollment, SchoolStaff, ServiceKind
from mockpsp.models import DebtPosition
from payments import services
from payments.admin.creditors import CreditorForm
from payments.gateway.http import HttpGateway
from payments.models import Creditor, CreditorSchool, PaymentNotice, SchoolPaymentEvent
from payments.pagopa import entity_fiscal_code_valid
from payments.services import school_events
from tests.enrollment.factories import (
    SchoolClassFactory,
    SchoolFactory,
    SchoolYearFactory,
    ServiceFactory,
    UserFactory,
    enrollment_make,
)
from tests.payments.factories import URLS, child_make, notice_make, parent_make, receipt_pay, single_option
from tests.portal.test_url_walk import ROUTES

pytestmark = pytest.mark.django_db

SCHOOL_CF = "80012345676"  # 11 digits with a right check digit
SCHOOL_IBAN = "IT60X0542811101000000123456"
TAXONOMY = {"contribution": "9/0201133IM/", "trip": "9/0201134IM/", "insurance": "9/0201135IM/"}


@pytest.fixture
def year(db):
    today = timezone.localdate()
    start = today.year if today.month >= 9 else today.year - 1
    return SchoolYearFactory(start=start)


@pytest.fixture
def school(db):
    return SchoolFactory(name="Scuola primaria Gianni Rodari", ministry_code="RMEE00101X")


@pytest.fixture
def other_school(db):
    return SchoolFactory(name="Scuola primaria Maria Montessori", ministry_code="RMEE00202X")


@pytest.fixture
def creditor(school):
    assert entity_fiscal_code_valid(SCHOOL_CF)
    creditor = Creditor.objects.create(
        name="Istituto comprensivo Rodari",
        fiscal_code=SCHOOL_CF,
        iban=SCHOOL_IBAN,
        segregation_code=7,
        taxonomy=TAXONOMY,
    )
    CreditorSchool.objects.create(creditor=creditor, school=school)
    return creditor


@pytest.fixture
def classes(school):
    return {name: SchoolClassFactory(school=school, name=name) for name in ("3A", "3B", "4A")}


@pytest.fixture
def families(school, year, classes):
    """One family per class: parent, child enrolled in the canteen at the school in that class."""
    service = ServiceFactory(kind=ServiceKind.CANTEEN, schools=[school])
    found = {}
    for index, name in enumerate(("3A", "3B", "4A")):
        parent = parent_make(first_name=f"Genitore{index}", last_name="Bianchi")
        child = child_make(adult=parent, first_name=f"Alunno{index}", last_name="Bianchi")
        enrollment_make(
            status=Enrollment.Status.ACCEPTED,
            child=child,
            service=service,
            school_year=year,
            school=school,
            school_class=classes[name],
            created_by=parent,
        )
        found[name] = (parent, child)
    return found


@pytest.fixture
def secretary(school):
    user = UserFactory(first_name="Segreteria", last_name="Rodari")
    SchoolStaff.objects.create(user=user).schools.add(school)
    return user


@pytest.fixture
def secretary_client(client, secretary, creditor):
    client.force_login(secretary)
    return client


def _form(**overrides):
    data = {
        "title": "Uscita al museo",
        "kind": "trip",
        "amount": "12,50",
        "due_date": (timezone.localdate() + datetime.timedelta(days=20)).isoformat(),
        "target": "classes",
        "classes": [],
        "note": "Portare il pranzo al sacco.",
    }
    data.update(overrides)
    return data


def _create(client, school, **overrides):
    """Post the form; what runs after commit (the issue task, the publications) runs too."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("payments:school_event_new", kwargs={"school_id": school.pk}), _form(**overrides))


# --- the office enables a school -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("fiscal_code", "80012345674", "cifra di controllo"),
        ("iban", "IT60X0542811101000000123457", "IBAN non valido"),
        ("taxonomy_trip", "gita", "9/0201133IM/"),
    ],
)
def test_the_office_form_refuses_a_bad_fiscal_code_iban_or_taxonomy(field, value, message):
    data = {"name": "IC Rodari", "fiscal_code": SCHOOL_CF, "office": "Segreteria", "iban": SCHOOL_IBAN}
    data.update({"segregation_code": 7, field: value})
    form = CreditorForm(data=data)
    assert not form.is_valid()
    assert message in str(form.errors)
    assert not Creditor.objects.exists()


def test_the_office_form_keeps_the_taxonomy_per_kind():
    data = {"name": "IC Rodari", "fiscal_code": SCHOOL_CF, "office": "Segreteria", "iban": SCHOOL_IBAN}
    data.update({"segregation_code": 7, "taxonomy_trip": "9/0201134IM/"})
    form = CreditorForm(data=data)
    assert form.is_valid(), form.errors
    assert form.save().taxonomy == {"trip": "9/0201134IM/"}


# --- the school creates an event ---------------------------------------------------------------------------------


def test_an_event_for_two_classes_bills_their_pupils_only_under_the_schools_fiscal_code(
    secretary_client, school, classes, families
):
    response = _create(secretary_client, school, classes=[classes["3A"].pk, classes["3B"].pk])
    event = SchoolPaymentEvent.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:school_event", kwargs={"pk": event.pk})
    assert (event.status, event.planned, event.issued) == ("issued", 2, 2)
    notices = PaymentNotice.objects.filter(school_event=event)
    assert {n.child for n in notices} == {families["3A"][1], families["3B"][1]}
    for notice in notices:
        assert notice.creditor_id == event.creditor_id
        assert notice.iupd.startswith(SCHOOL_CF)
        assert notice.options.get().notice_number.startswith("307")  # aux digit 3, the school's segregation code
        assert notice.platform_state == "VALID"
    positions = DebtPosition.objects.filter(organization_fiscal_code=SCHOOL_CF)
    assert positions.count() == 2  # published under the school, not the Comune
    transfer = positions.first().options.get().transfers[0]
    assert (transfer["iban"], transfer["organizationFiscalCode"], transfer["category"]) == (
        SCHOOL_IBAN,
        SCHOOL_CF,
        TAXONOMY["trip"],
    )
    told = [m for m in django_mail.outbox if "Uscita al museo" in m.subject]
    assert sorted(m.to[0] for m in told) == sorted([families["3A"][0].email, families["3B"][0].email])
    assert all("la scuola Istituto comprensivo Rodari ha emesso" in m.body for m in told)


def test_parents_see_the_school_notice_with_its_creditor_and_the_third_class_does_not(
    secretary_client, client, school, classes, families
):
    _create(secretary_client, school, classes=[classes["3A"].pk, classes["3B"].pk])
    parent_3a = families["3A"][0]
    client.force_login(parent_3a)
    page = client.get(reverse("payments:notices")).content.decode()
    assert "Uscita al museo" in page
    assert "Istituto comprensivo Rodari" in page
    client.force_login(families["4A"][0])
    assert "Uscita al museo" not in client.get(reverse("payments:notices")).content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": "0"}, "maggiore di zero"),
        ({"amount": "-5"}, "non può essere negativo"),
        ({"due_date": "2020-01-01"}, "nel passato"),
        ({"target": "classes"}, "almeno una classe"),
        ({"kind": "insurance", "per_family": "on"}, "solo per il contributo volontario"),
    ],
)
def test_bad_events_are_refused_on_the_page_with_what_was_typed(
    secretary_client, school, families, overrides, message
):
    response = _create(secretary_client, school, **overrides)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert 'value="Uscita al museo"' in body
    assert not SchoolPaymentEvent.objects.exists()
    assert not PaymentNotice.objects.exists()


def test_a_class_of_another_school_is_refused(secretary_client, school, other_school, families):
    foreign = SchoolClassFactory(school=other_school, name="5C")
    response = _create(secretary_client, school, classes=[foreign.pk])
    assert response.status_code == 400
    assert "non è di questa scuola" in response.content.decode()
    assert not PaymentNotice.objects.exists()


def test_a_pupil_of_another_school_is_refused_by_the_service(school, year, families, secretary, creditor):
    stranger = child_make(adult=parent_make(), first_name="Estraneo")
    draft = school_events.EventDraft(
        school=school,
        year=year,
        title="Diario",
        kind="other",
        amount="5.00",
        due_date=timezone.localdate() + datetime.timedelta(days=5),
        target="children",
        child_ids=[stranger.pk],
    )
    with pytest.raises(school_events.EventDataError, match="non è iscritto"):
        school_events.school_event_create(draft=draft, actor=secretary)
    assert not SchoolPaymentEvent.objects.exists()


def test_a_school_that_is_not_a_creditor_cannot_create_events(client, school, secretary, families):
    client.force_login(secretary)
    assert client.get(reverse("payments:school_event_new", kwargs={"school_id": school.pk})).status_code == 404
    page = client.get(reverse("payments:school_events")).content.decode()
    assert "non incassano ancora" in page


def test_another_schools_staff_and_parents_get_404(client, secretary_client, school, other_school, classes, families):
    _create(secretary_client, school, classes=[classes["3A"].pk])
    event = SchoolPaymentEvent.objects.get()
    other = UserFactory()
    SchoolStaff.objects.create(user=other).schools.add(other_school)
    school_routes = [name for name, args in ROUTES if name.startswith("payments:school_") and args]
    assert len(school_routes) == 5
    for user in (other, families["3A"][0]):
        client.force_login(user)
        for name in school_routes:
            kwargs = {"school_id": school.pk} if name == "payments:school_event_new" else {"pk": event.pk}
            url = reverse(name, kwargs=kwargs)
            answer = client.post(url, {"reason": "x"}) if name.endswith(("_remind", "_cancel")) else client.get(url)
            assert answer.status_code == 404, name
    assert client.get(reverse("payments:school_events")).status_code == 404
    event.refresh_from_db()
    assert event.status == "issued"


# --- voluntary contributions ---------------------------------------------------------------------------------------


def test_a_voluntary_contribution_per_family_never_expires_and_is_never_reminded(
    secretary_client, secretary, school, families
):
    sibling = child_make(adult=families["3A"][0], first_name="Fratello", last_name="Bianchi")
    enrollment = Enrollment.objects.filter(child=families["3A"][1]).first()
    enrollment_make(
        status=Enrollment.Status.ACCEPTED,
        child=sibling,
        service=enrollment.service,
        school_year=enrollment.school_year,
        school=school,
        school_class=enrollment.school_class,
        created_by=families["3A"][0],
    )
    response = _create(secretary_client, school, kind="contribution", target="school", per_family="on", amount="30")
    assert response.status_code == 302
    event = SchoolPaymentEvent.objects.get()
    assert event.voluntary
    notices = PaymentNotice.objects.filter(school_event=event)
    assert notices.count() == 3  # three families, four pupils
    assert all(n.voluntary for n in notices)
    later = event.due_date + datetime.timedelta(days=30)
    services.notices_expire_overdue(today=later)
    assert set(notices.values_list("status", flat=True)) == {"issued"}
    with pytest.raises(school_events.EventDataError, match="non si sollecita"):
        school_events.school_event_remind(event=event, actor=secretary)


# --- the school's page, reminders, cancellation --------------------------------------------------------------------


def test_the_page_shows_paid_and_unpaid_by_class_and_the_csv(secretary_client, school, classes, families):
    _create(secretary_client, school, classes=[classes["3A"].pk, classes["3B"].pk])
    event = SchoolPaymentEvent.objects.get()
    paid = PaymentNotice.objects.get(school_event=event, child=families["3A"][1])
    _message, status = receipt_pay(single_option(paid), creditor=SCHOOL_CF)
    assert status == 200
    page = secretary_client.get(reverse("payments:school_event", kwargs={"pk": event.pk})).content.decode()
    assert "Classe 3A" in page
    assert "Classe 3B" in page
    assert "1 pagati su 1" in page
    assert "0 pagati su 1" in page
    csv = b"".join(
        secretary_client.get(reverse("payments:school_event_csv", kwargs={"pk": event.pk})).streaming_content
    )
    text = csv.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("classe;alunno;")
    assert "3A;Bianchi Alunno0" in text
    assert "12,50;pagato" in text


def test_a_receipt_under_the_comunes_fiscal_code_for_a_school_notice_is_refused(
    secretary_client, school, classes, families
):
    _create(secretary_client, school, classes=[classes["3A"].pk])
    notice = PaymentNotice.objects.get()
    _message, status = receipt_pay(single_option(notice))  # the Comune's CF
    assert status == 422
    notice.refresh_from_db()
    assert notice.status == "issued"


def test_reminders_go_to_the_unpaid_only(secretary_client, school, classes, families):
    _create(secretary_client, school, classes=[classes["3A"].pk, classes["3B"].pk])
    event = SchoolPaymentEvent.objects.get()
    receipt_pay(single_option(PaymentNotice.objects.get(child=families["3A"][1])), creditor=SCHOOL_CF)
    django_mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = secretary_client.post(reverse("payments:school_event_remind", kwargs={"pk": event.pk}), follow=True)
    assert "Sollecito inviato a 1 famiglia" in response.content.decode()
    reminders = [m for m in django_mail.outbox if m.subject.startswith("Promemoria")]
    assert [m.to for m in reminders] == [[families["3B"][0].email]]


def test_cancelling_an_event_invalidates_the_open_notices_and_lists_the_paid_for_refund(
    secretary_client, school, classes, families
):
    _create(secretary_client, school, classes=[classes["3A"].pk, classes["3B"].pk])
    event = SchoolPaymentEvent.objects.get()
    paid = PaymentNotice.objects.get(child=families["3A"][1])
    receipt_pay(single_option(paid), creditor=SCHOOL_CF)
    url = reverse("payments:school_event_cancel", kwargs={"pk": event.pk})
    refused = secretary_client.post(url, {"reason": ""})
    assert refused.status_code == 400
    assert "Scrivi il motivo" in refused.content.decode()
    with TestCase.captureOnCommitCallbacks(execute=True):  # the cancellation runs in a task after commit
        assert secretary_client.post(url, {"reason": "Museo chiuso"}).status_code == 302
    page = secretary_client.get(reverse("payments:school_event", kwargs={"pk": event.pk})).content.decode()
    assert "1 avvisi annullati, 1 già pagati da rimborsare" in page
    assert "Pagati da rimborsare" in page
    event.refresh_from_db()
    assert event.status == "cancelled"
    other = PaymentNotice.objects.get(child=families["3B"][1])
    assert (other.status, other.platform_state) == ("cancelled", "INVALID")
    assert DebtPosition.objects.get(iupd=other.iupd).status == "INVALID"
    paid.refresh_from_db()
    assert paid.status == "paid"


def test_one_cart_pays_a_school_notice_and_a_comune_notice(secretary_client, school, classes, families):
    _create(secretary_client, school, classes=[classes["3A"].pk])
    parent, child = families["3A"]
    school_notice = PaymentNotice.objects.get(school_event__isnull=False)
    comune_notice = notice_make(child=child, payer=parent, service_kind="transport", amount=Decimal("40.00"))
    sent = []
    real = HttpGateway.checkout_open

    def spy(self, **kwargs):
        sent.extend(kwargs["items"])
        return real(self, **kwargs)  # the fake checks each notice number against its creditor's positions

    with mock.patch.object(HttpGateway, "checkout_open", spy):
        cart = services.cart_open(user=parent, notice_ids=[school_notice.pk, comune_notice.pk], return_urls=URLS)
    assert "/mockpsp/checkout/" in cart.checkout_url
    assert sorted((item.creditor_fiscal_code, item.company_name) for item in sent) == sorted(
        [
            (SCHOOL_CF, "Istituto comprensivo Rodari"),
            (settings.PAGOPA_CREDITOR_FISCAL_CODE, settings.PAGOPA_CREDITOR_NAME),
        ]
    )
