"""Enrollment fees tell the payer too (issue 10, item 5): accepting a transport enrollment issues its yearly fee,
and the adult of reference gets the notice by e-mail with the avviso PDF; never the ISEE or health data."""

from decimal import Decimal

import pytest

from enrollment import services
from payments.models import PaymentNotice

from .helpers import DSU, emails, transport_submitted

pytestmark = pytest.mark.django_db


def test_an_accepted_transport_enrollment_e_mails_its_fee_notice(
    parent, giulia, office, transport, transport_window, transport_plan, school_year, school, route
):
    enrollment = transport_submitted(parent, giulia, school_year, school, route, transport)
    enrollment.isee_amount = Decimal("12345.67")
    enrollment.isee_protocol = DSU
    enrollment.save(update_fields=["isee_amount", "isee_protocol"])
    services.enrollment_accept(enrollment=enrollment, actor=office)

    notice = PaymentNotice.objects.get(enrollment=enrollment)
    (email,) = emails("payment_notice_issued")
    assert email.to == [parent.email]
    assert notice.causale in email.body_text
    assert email.attachments == [{"builder": "payments.notice_pdf", "kwargs": {"notice_id": notice.pk}}]
    for body in (email.subject, email.body_text, email.body_html):
        assert "ISEE" not in body.upper()
        assert "12.345,67" not in body
        assert DSU not in body
