"""The yearly tax certificates: the year's receipts (Italian calendar year) net of refunds, per payer or per declared
share; issued again only when the data change (the old one replaced); the parent's page, the PDF, the public
verification; and a property: the certificates of a year add up to the receipts of that year."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payments import services
from payments.errors import PaymentsError
from payments.models import ExpenseSplit, Receipt, TaxCertificate
from payments.services.certificates import certificates_issue, certificates_issue_year, expense_split_declare
from portal.models import OutboxEmail
from tests.payments.factories import child_make, delegate_add, notice_make, parent_make, receipt_pay, single_option

ROME = timezone.get_default_timezone()


def at(*parts) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=ROME)


def pay(child, payer, amount, when, *, service_kind="canteen", purpose="topup", by=None):
    notice = notice_make(child=child, payer=payer, amount=amount, service_kind=service_kind, purpose=purpose)
    payer_of_receipt = by or payer
    receipt_pay(
        single_option(notice),
        paid_at=when,
        payer_fiscal_code=payer_of_receipt.codice_fiscale,
        payer_name=payer_of_receipt.get_full_name(),
    )
    return notice


@pytest.fixture
def family(legal_documents):
    mother = parent_make(first_name="Maria", last_name="Rossi", documents=legal_documents)
    father = parent_make(first_name="Paolo", last_name="Rossi", documents=legal_documents)
    child = child_make(adult=mother, first_name="Giulia", last_name="Rossi")
    delegate_add(child=child, adult=father)
    return mother, father, child


@pytest.mark.django_db
def test_per_payer_with_the_calendar_year_and_nursery_apart(family):
    mother, father, child = family
    pay(child, mother, "50.00", at(2025, 1, 1, 0, 30))  # counts: 1 January in Italy (31 December in UTC)
    pay(child, mother, "30.00", at(2025, 12, 31, 23, 30))
    pay(child, mother, "99.00", at(2026, 1, 1, 0, 10))  # next year
    pay(child, father, "120.00", at(2025, 5, 4, 10, 0), service_kind="transport", purpose="fee")
    pay(child, father, "200.00", at(2025, 3, 2, 10, 0), service_kind="nursery", purpose="fee")
    result = certificates_issue(child=child, year=2025)
    assert result.issued == 2
    certificates = {c.holder_fiscal_code: c for c in TaxCertificate.objects.all()}
    assert certificates[mother.codice_fiscale].school_total == Decimal("80.00")
    assert certificates[father.codice_fiscale].school_total == Decimal("120.00")
    assert certificates[father.codice_fiscale].nursery_total == Decimal("200.00")


@pytest.mark.django_db
def test_refunds_are_netted_and_a_change_replaces_the_certificate(family, staff_user):
    mother, _father, child = family
    pay(child, mother, "60.00", at(2025, 2, 1, 9, 0))
    first = certificates_issue(child=child, year=2025)
    again = certificates_issue(child=child, year=2025)
    assert (first.issued, again.issued, again.unchanged) == (1, 0, 1)
    with time_machine.travel(at(2025, 6, 30, 12, 0), tick=False):
        services.ledger_refund(
            child=child, service_kind="canteen", amount=Decimal("15.00"), reason="Rimborso", actor=staff_user
        )
    netted = certificates_issue(child=child, year=2025)
    assert netted.replaced == 1
    assert TaxCertificate.objects.get(status="issued").school_total == Decimal("45.00")
    pay(child, mother, "10.00", at(2025, 11, 1, 9, 0))  # a late receipt
    late = certificates_issue(child=child, year=2025)
    assert late.replaced == 1
    *old, new = TaxCertificate.objects.order_by("pk")
    assert [row.status for row in old] == [TaxCertificate.Status.REPLACED] * 2
    assert old[-1].replaced_by == new
    assert new.school_total == Decimal("55.00")


@pytest.mark.django_db
def test_a_declared_split_gives_each_adult_their_share_and_marks_a_third_payer(family, legal_documents):
    mother, father, child = family
    grandma = parent_make(first_name="Nonna", last_name="Bianchi", documents=legal_documents)
    pay(child, mother, "100.00", at(2025, 2, 1, 9, 0))
    pay(child, mother, "50.00", at(2025, 3, 1, 9, 0), by=grandma)
    with pytest.raises(PaymentsError, match="fare 100"):
        expense_split_declare(
            user=mother,
            child=child,
            year=2025,
            shares=[(mother.codice_fiscale, Decimal(50)), (father.codice_fiscale, Decimal(40))],
        )
    with pytest.raises(PaymentsError, match="Non è un adulto"):
        expense_split_declare(user=mother, child=child, year=2025, shares=[(grandma.codice_fiscale, Decimal(100))])
    with pytest.raises(PaymentsError, match="Solo un adulto"):
        expense_split_declare(user=grandma, child=child, year=2025, shares=[(mother.codice_fiscale, Decimal(100))])
    expense_split_declare(
        user=mother,
        child=child,
        year=2025,
        shares=[(mother.codice_fiscale, Decimal(60)), (father.codice_fiscale, Decimal(40))],
    )
    certificates_issue(child=child, year=2025)
    totals = dict(TaxCertificate.objects.values_list("holder_fiscal_code", "school_total"))
    assert totals == {mother.codice_fiscale: Decimal("90.00"), father.codice_fiscale: Decimal("60.00")}
    lines = TaxCertificate.objects.first().lines
    assert [line["third_party"] for line in lines] == [False, True]


@pytest.mark.django_db
def test_the_year_job_emails_the_holders_and_the_parent_downloads_only_their_own(family, client):
    mother, father, child = family
    pay(child, mother, "40.00", at(2025, 2, 1, 9, 0))
    pay(child, father, "25.00", at(2025, 2, 2, 9, 0))
    result = certificates_issue_year(year=2025)
    assert result.issued == 2
    assert OutboxEmail.objects.filter(kind="tax_certificate_issued").count() == 2
    client.force_login(mother)
    page = client.get(reverse("payments:certificates")).content.decode()
    assert "Anno 2025 — Giulia" in page
    mine = TaxCertificate.objects.get(holder_fiscal_code=mother.codice_fiscale)
    theirs = TaxCertificate.objects.get(holder_fiscal_code=father.codice_fiscale)
    pdf = client.get(reverse("payments:certificate_pdf", args=[mine.pk]))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert client.get(reverse("payments:certificate_pdf", args=[theirs.pk])).status_code == 404


@pytest.mark.django_db
def test_anyone_verifies_a_code_and_sees_no_names(family, client):
    mother, _father, child = family
    pay(child, mother, "40.00", at(2025, 2, 1, 9, 0))
    certificates_issue(child=child, year=2025)
    certificate = TaxCertificate.objects.get()
    url = reverse("payments:certificate_verify")
    page = client.get(url, {"codice": certificate.verification_code.lower()}).content.decode()
    assert "Attestazione autentica e valida." in page
    assert "40,00" in page
    assert "Giulia" not in page
    assert "Rossi" not in page
    wrong = client.get(url, {"codice": "NOPE"}).content.decode()
    assert "Nessuna attestazione con questo codice" in wrong
    assert 'value="NOPE"' in wrong


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payments=st.lists(
        st.tuples(st.sampled_from(["mother", "father"]), st.integers(1, 50_000), st.integers(0, 400)),
        min_size=1,
        max_size=6,
    ),
    refund=st.integers(0, 2_000),
    split=st.booleans(),
)
def test_certificates_add_up_to_the_years_receipts(legal_documents, payments, refund, split):
    mother = parent_make(first_name="Maria", documents=legal_documents)
    father = parent_make(first_name="Paolo", documents=legal_documents)
    child = child_make(adult=mother, first_name="Giulia")
    delegate_add(child=child, adult=father)
    people = {"mother": mother, "father": father}
    for who, cents, day in payments:
        when = at(2025, 1, 1, 12, 0) + datetime.timedelta(days=day)  # some fall in 2027
        pay(child, people[who], f"{cents // 100}.{cents % 100:02d}", when)
    if refund:
        with time_machine.travel(at(2025, 12, 15, 12, 0), tick=False):
            services.ledger_refund(
                child=child, service_kind="canteen", amount=Decimal(refund) / 100, reason="Rimborso", actor=mother
            )
    if split:
        expense_split_declare(
            user=mother,
            child=child,
            year=2025,
            shares=[(mother.codice_fiscale, Decimal(50)), (father.codice_fiscale, Decimal(50))],
        )
    certificates_issue(child=child, year=2025)
    year = Receipt.objects.filter(
        notice__child=child, paid_at__gte=at(2025, 1, 1, 0, 0), paid_at__lt=at(2026, 1, 1, 0, 0)
    )
    received = sum((r.amount for r in year), Decimal(0))
    refunded = Decimal(refund) / 100
    issued = TaxCertificate.objects.filter(child=child, status="issued")
    total = sum((c.school_total for c in issued), Decimal(0))
    if not received:  # a refund alone makes no certificate
        assert not issued.exists()
    else:  # never below zero: a refund of an earlier year's payment does not make negative spending
        assert abs(total - max(received - refunded, Decimal(0))) <= Decimal("0.01")  # a 50/50 split rounds halves


@pytest.mark.django_db
def test_a_late_receipt_reissues_a_year_already_issued(family, django_capture_on_commit_callbacks):
    mother, _father, child = family
    pay(child, mother, "40.00", at(2025, 2, 1, 9, 0))
    certificates_issue(child=child, year=2025)
    with django_capture_on_commit_callbacks(execute=True):
        pay(child, mother, "5.00", at(2025, 12, 30, 9, 0))  # reaches the portal after the certificates
    valid = TaxCertificate.objects.get(status="issued")
    assert valid.school_total == Decimal("45.00")
    assert TaxCertificate.objects.filter(status="replaced").count() == 1
    assert OutboxEmail.objects.filter(kind="tax_certificate_issued").count() == 1


@pytest.mark.django_db
def test_parents_declare_the_split_on_a_page_with_what_they_typed_kept(family, client, legal_documents):
    mother, father, child = family
    client.force_login(mother)
    url = reverse("payments:expense_split", args=[child.pk])
    page = client.get(url, {"anno": "2025"}).content.decode()
    assert 'value="50,00"' in page
    bad = client.post(
        url, {"anno": "2025", f"quota_{mother.codice_fiscale}": "70", f"quota_{father.codice_fiscale}": "20"}
    )
    assert bad.status_code == 400
    assert "devono fare 100" in bad.content.decode()
    assert 'value="20"' in bad.content.decode()
    good = client.post(
        url, {"anno": "2025", f"quota_{mother.codice_fiscale}": "70", f"quota_{father.codice_fiscale}": "30"}
    )
    assert good.status_code == 302
    shares = {row["fiscal_code"]: row["percent"] for row in ExpenseSplit.objects.get().shares}
    assert shares == {mother.codice_fiscale: "70.00", father.codice_fiscale: "30.00"}
    client.force_login(parent_make(first_name="Altro", documents=legal_documents))
    assert client.get(url).status_code == 404


SCHOOL_KIND = "spese per la frequenza scolastica (mensa, trasporto, quote della scuola)"
NURSERY_KIND = "rette per l'asilo nido"
COMUNE_CF = "00000000000"  # the test settings' Comune


@pytest.mark.django_db
def test_the_tax_agency_csv_has_a_row_per_pupil_person_and_kind(family, client, legal_documents, staff_user):
    from accounts.groups import OFFICE_GROUP
    from tests.portal.test_office_groups import _member

    mother, father, child = family
    pay(child, mother, "80.00", at(2025, 2, 1, 9, 0))
    pay(child, father, "300.00", at(2025, 3, 1, 9, 0), service_kind="nursery", purpose="fee")
    with time_machine.travel(at(2025, 6, 30, 12, 0), tick=False):
        services.ledger_refund(
            child=child, service_kind="canteen", amount=Decimal("5.00"), reason="x", actor=staff_user
        )
    certificates_issue_year(year=2025)
    client.force_login(_member(legal_documents, OFFICE_GROUP))
    response = client.get(reverse("admin:payments_taxcertificate_tax_data"), {"anno": "2025"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith(
        "anno;codice_fiscale_ente;codice_fiscale_iscritto;codice_fiscale_soggetto_spesa;tipo_spesa;importo_spesa"
    )
    body = sorted(line.rsplit(";", 1)[0] for line in lines[1:])
    assert body == sorted(
        [
            f"2025;{COMUNE_CF};{child.codice_fiscale};{mother.codice_fiscale};{SCHOOL_KIND};80,00;5,00;100,00",
            f"2025;{COMUNE_CF};{child.codice_fiscale};{father.codice_fiscale};{NURSERY_KIND};300,00;0,00;100,00",
        ]
    )


@pytest.mark.django_db
def test_the_worker_stores_the_pdf_after_the_issue(family, django_capture_on_commit_callbacks):
    mother, _father, child = family
    pay(child, mother, "40.00", at(2025, 2, 1, 9, 0))
    with django_capture_on_commit_callbacks(execute=True):
        certificates_issue(child=child, year=2025)
    certificate = TaxCertificate.objects.get()
    assert certificate.pdf
    with certificate.pdf.open("rb") as stored:
        assert stored.read().startswith(b"%PDF")
