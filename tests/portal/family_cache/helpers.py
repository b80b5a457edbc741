"""Pages, rows and scenario pieces shared by the family summary cache tests."""

from decimal import Decimal

from django.urls import reverse

from enrollment.models import Enrollment, ServiceKind
from payments import services as payment_services
from payments.models import PaymentNotice
from tests.enrollment.factories import (
    enrollment_make,
)

Status = Enrollment.Status
FAMILY = reverse("accounts:family")
PAYMENTS = reverse("payments:notices")


def page(client, url=FAMILY) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def badge(label: str) -> str:
    return f">{label}</span>"


def enrollment(w, status=Status.SUBMITTED, **fields) -> Enrollment:
    return enrollment_make(
        child=w.child, service=w.canteen, school_year=w.year, created_by=w.parent, status=status, **fields
    )


def topup(w, amount="20.00") -> PaymentNotice:
    return payment_services.topup_create(
        user=w.parent, child_id=w.child.pk, service_kind=ServiceKind.CANTEEN, amount=Decimal(amount)
    )


def as_user(w, user):
    """Sign the client in as another adult (the page is theirs from now on)."""
    w.client.logout()
    w.client.force_login(user)


def no_setup(w):
    return None


def submitted(w):
    return enrollment(w, Status.SUBMITTED)


def waitlisted(w):
    return enrollment(w, Status.WAITLISTED)


def gone(text):
    return lambda w, before, after: text in before and text not in after


def came(text):
    return lambda w, before, after: text not in before and text in after
