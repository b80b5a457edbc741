"""The cross-family walk for payments: signed in as family B, every payments URL with family A's ids is a 404.

Every route of the payments namespace that takes arguments must have an entry in FAMILY_A_KWARGS, or this test
fails: no new route escapes the walk. A delegate of the child sees the same pages; a revoked one does not.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Guardianship
from accounts.services import invitations
from payments import services
from payments.models import Cart, Creditor, PaymentNotice, SchoolPaymentEvent, TaxCertificate
from tests.conftest import make_user
from tests.enrollment.factories import SchoolFactory, SchoolYearFactory
from tests.payments.test_pdf import notice_make, receipt_make
from tests.portal.test_url_walk import ROUTES

pytestmark = pytest.mark.django_db


def voluntary_notice(*, child, payer):
    """A school's voluntary contribution whose amount the family may choose."""
    creditor = Creditor.objects.create(
        name="IC Rodari",
        fiscal_code="80012345676",
        iban="IT13L0306909606100000012345",
        segregation_code=7,
        taxonomy={"contribution": "9/0201133IM/"},
    )
    event = SchoolPaymentEvent.objects.create(
        creditor=creditor,
        school=SchoolFactory(),
        school_year=SchoolYearFactory(start=2026),
        title="Contributo",
        kind="contribution",
        amount=Decimal("30.00"),
        voluntary=True,
        free_amount=True,
        due_date=timezone.localdate() + datetime.timedelta(days=30),
        created_by=payer,
    )
    spec = {
        "child": child,
        "service_kind": "school",
        "purpose": "fee",
        "amount": Decimal("30.00"),
        "causale": "Contributo volontario - Giulia",
        "due_date": event.due_date,
        "payer": payer,
        "creditor": creditor,
        "school_event": event,
        "voluntary": True,
    }
    services.notices_issue_bulk(specs=[spec])
    return PaymentNotice.objects.get(school_event=event)


@pytest.fixture
def family_a(parent, giulia):
    notice = notice_make(child=giulia, payer=parent)
    receipt = receipt_make(notice=notice)
    cart = Cart.objects.create(public_id="a" * 32, user=parent, status=Cart.Status.PENDING)
    cart.notices.set([notice])
    certificate = TaxCertificate.objects.create(
        year=2025,
        child=giulia,
        holder_fiscal_code=parent.codice_fiscale,
        holder_name="Maria Rossi",
        school_total=10,
        fingerprint="x",
        verification_code="ABCDEFGHJKLM",
    )
    return {
        "parent": parent,
        "child": giulia,
        "notice": notice,
        "voluntary": voluntary_notice(child=giulia, payer=parent),
        "receipt": receipt,
        "cart": cart,
        "certificate": certificate,
    }


# route name → the kwargs that point at family A's objects
FAMILY_A_KWARGS = {
    "payments:notice_detail": lambda a: {"pk": a["notice"].pk},
    "payments:notice_pdf": lambda a: {"pk": a["notice"].pk},
    "payments:notice_amount": lambda a: {"pk": a["voluntary"].pk},
    "payments:receipt_pdf": lambda a: {"pk": a["receipt"].pk},
    "payments:ledger": lambda a: {"child_id": a["child"].pk},
    "payments:cart_return": lambda a: {"public_id": a["cart"].public_id, "outcome": "ok"},
    "payments:cart_status": lambda a: {"public_id": a["cart"].public_id},
    "payments:certificate_pdf": lambda a: {"pk": a["certificate"].pk},
    "payments:expense_split": lambda a: {"child_id": a["child"].pk},
}

# The schools' routes are scoped to a school's staff, not to a family: tests/payments/test_school_events.py walks
# them for another school's staff (404) and for a parent (404).
PAYMENT_ROUTES = [
    (name, args)
    for name, args in ROUTES
    if name.startswith("payments:") and args and not name.startswith("payments:school_")
]


def test_every_payments_route_with_arguments_is_walked():
    missing = [name for name, _ in PAYMENT_ROUTES if name not in FAMILY_A_KWARGS]
    assert not missing, f"Add these routes to FAMILY_A_KWARGS: {missing}"


@pytest.mark.parametrize("name", sorted(FAMILY_A_KWARGS))
def test_other_family_gets_404(client, family_a, other_parent, name):
    url = reverse(name, kwargs=FAMILY_A_KWARGS[name](family_a))
    client.force_login(family_a["parent"])
    assert client.get(url).status_code == 200, "family A itself must see the page"
    client.force_login(other_parent)
    response = client.get(url)
    assert response.status_code == 404
    assert b"Giulia" not in response.content


def test_other_familys_lists_show_nothing_of_family_a(client, family_a, other_parent):
    client.force_login(other_parent)
    for name in ("payments:notices", "payments:history"):
        html = client.get(reverse(name)).content.decode()
        assert family_a["notice"].causale not in html
        assert "Giulia" not in html


def test_cart_return_of_another_users_cart_changes_nothing(client, family_a, other_parent):
    client.force_login(other_parent)
    url = reverse("payments:cart_return", kwargs={"public_id": family_a["cart"].public_id, "outcome": "cancel"})
    assert client.get(url).status_code == 404
    family_a["cart"].refresh_from_db()
    assert family_a["cart"].status == Cart.Status.PENDING


def _delegate_of(a, documents) -> Guardianship:
    invitation = invitations.invitation_create(
        inviter=a["parent"],
        children=[a["child"]],
        email="paolo.verdi@example.it",
        codice_fiscale="VRDPLA80D10H501X",
        base_url="http://testserver/",
    )
    delegate = make_user(codice_fiscale="VRDPLA80D10H501X", email="paolo.verdi@example.it", documents=documents)
    invitations.invitation_accept(user=delegate, token=invitation.token)
    return Guardianship.objects.get(adult=delegate)


def test_a_delegate_sees_the_childs_payments_until_revoked(client, family_a, legal_documents):
    guardianship = _delegate_of(family_a, legal_documents)
    client.force_login(guardianship.adult)
    notice: PaymentNotice = family_a["notice"]
    assert notice.causale in client.get(reverse("payments:notices")).content.decode()
    for name in ("payments:notice_detail", "payments:notice_pdf", "payments:receipt_pdf", "payments:ledger"):
        assert client.get(reverse(name, kwargs=FAMILY_A_KWARGS[name](family_a))).status_code == 200, name
    Guardianship.objects.filter(pk=guardianship.pk).update(revoked_at=timezone.now())
    for name in ("payments:notice_detail", "payments:notice_pdf", "payments:receipt_pdf", "payments:ledger"):
        assert client.get(reverse(name, kwargs=FAMILY_A_KWARGS[name](family_a))).status_code == 404, name
    # a cart belongs to the user who opened it, not to the family
    url = reverse("payments:cart_status", kwargs={"public_id": family_a["cart"].public_id})
    assert client.get(url).status_code == 404
