"""Tax certificates with schools as creditors: each creditor attests what was paid to it; a voluntary contribution
is a liberal donation (its own total); the year's issue reads in batches (queries do not grow with children)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from payments import pdf
from payments.certificate_pdf import certificate_pdf_render
from payments.models import Creditor, PaymentNotice, TaxCertificate
from payments.services import notices_issue_bulk
from payments.services.certificates import certificates_issue_batch, certificates_issue_year
from tests.payments.factories import child_make, parent_make, receipt_pay, single_option
from tests.payments.test_certificates import at, pay
from tests.payments.test_pdf import pdf_text

pytestmark = pytest.mark.django_db

SCHOOL_CF = "80012345676"


@pytest.fixture
def creditor():
    return Creditor.objects.create(
        name="Istituto comprensivo Rodari",
        fiscal_code=SCHOOL_CF,
        iban="IT13L0306909606100000012345",
        segregation_code=7,
        taxonomy={"trip": "9/0201135IM/", "contribution": "9/0201133IM/"},
    )


def school_notice(child, payer, creditor, amount, *, voluntary=False) -> PaymentNotice:
    spec = {
        "child": child,
        "service_kind": "school",
        "purpose": "fee",
        "amount": Decimal(amount),
        "causale": "Contributo volontario" if voluntary else "Uscita al museo",
        "due_date": timezone.localdate() + datetime.timedelta(days=10),
        "payer": payer,
        "creditor": creditor,
        "voluntary": voluntary,
    }
    notices_issue_bulk(specs=[spec])
    return PaymentNotice.objects.filter(creditor=creditor).latest("pk")


def test_the_comune_and_the_school_each_attest_their_own_payments(creditor, tmp_path):
    mother = parent_make(first_name="Maria", last_name="Rossi")
    child = child_make(adult=mother, first_name="Giulia", last_name="Rossi")
    pay(child, mother, "80.00", at(2025, 3, 2, 10, 0))
    trip = school_notice(child, mother, creditor, "12.50")
    receipt_pay(single_option(trip), paid_at=at(2025, 4, 2, 10, 0), creditor=SCHOOL_CF)
    gift = school_notice(child, mother, creditor, "30.00", voluntary=True)
    receipt_pay(single_option(gift), paid_at=at(2025, 4, 3, 10, 0), creditor=SCHOOL_CF)

    result = certificates_issue_year(year=2025)

    assert result.issued == 2
    comune, school = (
        TaxCertificate.objects.get(creditor_fiscal_code="00000000000"),
        TaxCertificate.objects.get(creditor_fiscal_code=SCHOOL_CF),
    )
    assert (comune.school_total, comune.donation_total) == (Decimal("80.00"), Decimal("0.00"))
    assert (school.creditor_name, school.school_total, school.donation_total) == (
        "Istituto comprensivo Rodari",
        Decimal("12.50"),
        Decimal("30.00"),
    )
    text = pdf_text(certificate_pdf_render(certificate=school), tmp_path)
    assert "Istituto comprensivo Rodari" in text
    assert "i-octies" in text
    assert "30,00" in text
    assert "80,00" not in text  # the Comune's payment is on the Comune's certificate only
    assert certificates_issue_year(year=2025).unchanged == 2  # nothing changed: nothing issued again


def _families(count: int) -> list[int]:
    ids = []
    for n in range(count):
        parent = parent_make(first_name="Genitore", last_name=f"N{n}")
        child = child_make(adult=parent, first_name="Bimbo", last_name=f"N{n}")
        pay(child, parent, "10.00", at(2025, 2, 1 + n % 27, 10, 0))
        ids.append(child.pk)
    return ids


def test_a_batch_costs_the_same_queries_for_5_or_20_children():
    small, large = _families(5), _families(20)
    with CaptureQueriesContext(connection) as five:
        assert certificates_issue_batch(child_ids=small, year=2025).issued == 5
    with CaptureQueriesContext(connection) as twenty:
        assert certificates_issue_batch(child_ids=large, year=2025).issued == 20
    assert len(twenty) == len(five), [q["sql"][:80] for q in twenty]


def test_a_schools_printed_notice_names_the_school_and_its_qr_code_pays_the_school(creditor, tmp_path):
    parent = parent_make(first_name="Maria", last_name="Rossi")
    child = child_make(adult=parent, first_name="Giulia", last_name="Rossi")
    notice = school_notice(child, parent, creditor, "12.50")
    option = single_option(notice)
    assert pdf.option_qr_payload(option, creditor_fiscal_code=SCHOOL_CF) == (
        f"PAGOPA|002|{option.notice_number}|{SCHOOL_CF}|1250"
    )
    context = pdf.notice_pdf_context(notice=notice)
    assert (context["creditor"]["name"], context["creditor"]["fiscal_code"]) == (
        "Istituto comprensivo Rodari",
        SCHOOL_CF,
    )
    assert f"PAGOPA|002|{option.notice_number}|{SCHOOL_CF}|1250" in context["single"].qr or SCHOOL_CF in str(context)
    text = pdf_text(pdf.notice_pdf_render(notice=notice), tmp_path)
    assert "Istituto comprensivo Rodari" in text
    assert SCHOOL_CF in text
