"""What payments keep of a payer who leaves: anonymised, not deleted; their payments in the data export."""

import pytest

from payments.models import PaymentNotice
from tests.payments.factories import (
    notice_make,
    receipt_pay,
    single_option,
)

pytestmark = pytest.mark.django_db

Status = PaymentNotice.Status


# --- privacy -----------------------------------------------------------------------------------------------------


def test_a_payer_is_anonymised_not_deleted_and_their_payments_are_in_the_export(giulia, parent, other_parent):
    from payments.privacy import RETENTION_REASON
    from portal.privacy import personal_data_collect, retention_reasons

    assert RETENTION_REASON not in retention_reasons(user=parent)
    notice = notice_make(child=giulia, payer=parent)
    receipt_pay(single_option(notice))
    assert RETENTION_REASON in retention_reasons(user=parent)
    assert RETENTION_REASON not in retention_reasons(user=other_parent)
    data = personal_data_collect(user=parent)["pagamenti"]
    assert [n["causale"] for n in data["avvisi"]] == [notice.causale]
    assert len(data["ricevute"]) == 1
    assert personal_data_collect(user=other_parent)["pagamenti"] == {"avvisi": [], "ricevute": []}
