"""Enrollment services: the office's transitions one by one and in bulk, and health data for staff."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from enrollment import services
from enrollment.errors import (
    CapacityError,
    EnrollmentNotFoundError,
    InvalidChoiceError,
)
from enrollment.models import Enrollment, EnrollmentEvent, HealthDataAccess
from portal.errors import ReasonRequiredError, TransitionNotAllowedError
from portal.models import OutboxEmail

from .factories import (
    child_of,
    draft_ready,
    enrollment_make,
)
from .helpers import PDF, S, emails, events, transport_submitted

# --- office, one by one ------------------------------------------------------------------------------------------


def test_accept(submitted, office, parent):
    enrollment = services.enrollment_accept(enrollment=submitted, actor=office)
    assert enrollment.status == S.ACCEPTED
    assert enrollment.decided_at is not None
    event = enrollment.events.order_by("pk").last()
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        "accepted",
        office,
        "submitted",
        "accepted",
    )
    (email,) = emails("enrollment_accepted")
    assert email.to == [parent.email]
    assert "accolta" in email.subject
    services.enrollment_accept(enrollment=submitted, actor=office)  # idempotent: no second event or e-mail
    assert enrollment.events.filter(action="accepted").count() == 1
    assert len(emails("enrollment_accepted")) == 1


@pytest.mark.parametrize(
    ("status", "call"),
    [
        (S.DRAFT, "accept"),
        (S.REJECTED, "accept"),
        (S.WITHDRAWN, "accept"),
        (S.ACCEPTED, "reject"),
        (S.DRAFT, "reject"),
        (S.ACCEPTED, "waitlist"),
        (S.WAITLISTED, "waitlist_again"),
        (S.ACCEPTED, "unwaitlist"),
        (S.REJECTED, "withdraw"),
    ],
)
def test_forbidden_transitions(parent, giulia, canteen, school_year, office, status, call):
    enrollment = enrollment_make(
        child=giulia, service=canteen, school_year=school_year, created_by=parent, status=status
    )
    calls = {
        "accept": lambda: services.enrollment_accept(enrollment=enrollment, actor=office),
        "reject": lambda: services.enrollment_reject(enrollment=enrollment, actor=office, reason="No"),
        "waitlist": lambda: services.enrollment_waitlist(enrollment=enrollment, actor=office),
        "waitlist_again": lambda: services.enrollment_waitlist(enrollment=enrollment, actor=office),
        "unwaitlist": lambda: services.enrollment_unwaitlist(enrollment=enrollment, actor=office),
        "withdraw": lambda: services.enrollment_withdraw(enrollment=enrollment, user=parent),
    }
    if call == "waitlist_again":  # already there: idempotent, not an error
        assert calls[call]().status == S.WAITLISTED
        return
    with pytest.raises(TransitionNotAllowedError):
        calls[call]()
    enrollment.refresh_from_db()
    assert enrollment.status == status
    assert not enrollment.events.exists()
    assert not OutboxEmail.objects.exists()


def test_reject_needs_a_reason_and_tells_it(submitted, office):
    with pytest.raises(ReasonRequiredError):
        services.enrollment_reject(enrollment=submitted, actor=office, reason="  ")
    enrollment = services.enrollment_reject(enrollment=submitted, actor=office, reason="Residenza non confermata.")
    assert enrollment.status == S.REJECTED
    assert enrollment.rejection_reason == "Residenza non confermata."
    (email,) = emails("enrollment_rejected")
    assert "Residenza non confermata." in email.body_text
    assert enrollment.events.last().note == "Residenza non confermata."


def test_rejecting_a_seat_holder_offers_the_seat(
    parent, office, transport, transport_window, transport_plan, school_year, school, route
):
    rows = [
        transport_submitted(parent, child_of(parent, first_name=f"F{i}"), school_year, school, route, transport)
        for i in range(4)
    ]
    services.enrollment_reject(enrollment=rows[0], actor=office, reason="Doppia domanda.")
    rows[3].refresh_from_db()
    assert rows[3].status == S.SUBMITTED
    assert events(rows[3])[-1][0] == "seat_offered"


def test_waitlist_and_back(submitted, office):
    enrollment = services.enrollment_waitlist(enrollment=submitted, actor=office)
    assert enrollment.status == S.WAITLISTED
    (email,) = emails("enrollment_waitlisted")
    assert "posizione 1" in email.body_text
    enrollment = services.enrollment_unwaitlist(enrollment=submitted, actor=office)
    assert enrollment.status == S.SUBMITTED


def test_waiting_transport_needs_a_free_seat(
    parent, office, transport, transport_window, transport_plan, school_year, school, route
):
    rows = [
        transport_submitted(parent, child_of(parent, first_name=f"F{i}"), school_year, school, route, transport)
        for i in range(4)
    ]
    with pytest.raises(CapacityError):
        services.enrollment_accept(enrollment=rows[3], actor=office)
    with pytest.raises(CapacityError):
        services.enrollment_unwaitlist(enrollment=rows[3], actor=office)
    route.capacity = 4
    route.save()
    assert services.enrollment_accept(enrollment=rows[3], actor=office).status == S.ACCEPTED
    assert services.enrollment_accept(enrollment=rows[0], actor=office).status == S.ACCEPTED  # holds its seat


def test_capacity_raise_fills_the_waiting_list(
    parent, office, transport, transport_window, transport_plan, school_year, school, route
):
    rows = [
        transport_submitted(parent, child_of(parent, first_name=f"F{i}"), school_year, school, route, transport)
        for i in range(6)
    ]
    route.capacity = 5
    route.save()
    assert services.route_waitlist_fill(route=route, actor=office) == 2
    assert [Enrollment.objects.get(pk=row.pk).status for row in rows] == [S.SUBMITTED] * 5 + [S.WAITLISTED]


def test_office_ranking_orders_the_waiting_list(
    parent, office, transport, transport_window, transport_plan, school_year, school, route
):
    rows = [
        transport_submitted(parent, child_of(parent, first_name=f"F{i}"), school_year, school, route, transport)
        for i in range(6)
    ]
    with pytest.raises(InvalidChoiceError):
        services.enrollment_waitlist_rank_set(enrollment=rows[5], actor=office, rank=0)
    services.enrollment_waitlist_rank_set(enrollment=rows[5], actor=office, rank=1)
    assert rows[5].events.last().action == "waitlist_rank_set"
    services.enrollment_withdraw(enrollment=rows[0], user=parent)
    assert Enrollment.objects.get(pk=rows[5].pk).status == S.SUBMITTED
    assert Enrollment.objects.get(pk=rows[3].pk).status == S.WAITLISTED


def test_diet_decisions(draft, parent, office):
    services.enrollment_medical_diet_set(enrollment=draft, user=parent, details="Celiachia")
    submitted = services.enrollment_submit(enrollment=draft, user=parent, declarations=True)
    enrollment = services.enrollment_diet_decide(enrollment=submitted, actor=office, accepted=True, note="Ok ASL")
    assert enrollment.diet_status == Enrollment.DietStatus.ACCEPTED
    assert enrollment.events.last().action == "diet_accepted"
    (email,) = emails("enrollment_diet_accepted")
    assert "Celiachia" not in email.body_text
    services.enrollment_diet_decide(enrollment=submitted, actor=office, accepted=False, note="Certificato scaduto")
    (email,) = emails("enrollment_diet_rejected")
    assert "Certificato scaduto" not in email.body_text


def test_diet_decision_without_a_request(submitted, office):
    with pytest.raises(TransitionNotAllowedError):
        services.enrollment_diet_decide(enrollment=submitted, actor=office, accepted=True)


def test_exemption_recomputes_the_frozen_tariff(submitted, office):
    with pytest.raises(ReasonRequiredError):
        services.enrollment_exemption_set(enrollment=submitted, actor=office, percent=100, reason="")
    with pytest.raises(InvalidChoiceError):
        services.enrollment_exemption_set(enrollment=submitted, actor=office, percent=120, reason="x")
    enrollment = services.enrollment_exemption_set(
        enrollment=submitted, actor=office, percent=50, reason="Segnalazione dei servizi sociali"
    )
    assert enrollment.tariff_amount == Decimal("2.25")
    assert enrollment.tariff_steps[-2] == {"code": "exemption", "percent": 50, "amount": "2.25"}
    assert enrollment.events.last().note == "Esenzione 50%: Segnalazione dei servizi sociali"
    enrollment = services.enrollment_exemption_set(enrollment=submitted, actor=office, percent=100, reason="Totale")
    assert enrollment.tariff_amount == Decimal("0.00")


def test_expired_isee_accepted_recomputes(parent, giulia, office, open_windows, canteen, school_year, school):
    draft = draft_ready(
        user=parent,
        child=giulia,
        service=canteen,
        school_year=school_year,
        school=school,
        isee=Decimal("100"),
        isee_expires_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    enrollment = services.enrollment_submit(enrollment=draft, user=parent, declarations=True)
    assert enrollment.tariff_amount == Decimal("4.50")
    enrollment = services.enrollment_isee_expired_accept(enrollment=enrollment, actor=office)
    assert enrollment.tariff_amount == Decimal("2.50")
    assert enrollment.tariff_steps[0]["code"] == "isee_expired_accepted"
    assert enrollment.events.last().action == "isee_expired_accepted"


# --- office, in bulk -----------------------------------------------------------------------------------------------


def _bulk_rows(parent, canteen, school_year, count, status=S.SUBMITTED):
    return [
        enrollment_make(
            child=child_of(parent), service=canteen, school_year=school_year, created_by=parent, status=status
        )
        for _ in range(count)
    ]


def test_bulk_accept_50(parent, office, canteen, school_year, django_assert_max_num_queries):
    rows = _bulk_rows(parent, canteen, school_year, 50)
    refused = _bulk_rows(parent, canteen, school_year, 3, status=S.REJECTED)
    ids = [row.pk for row in rows + refused]
    # 12 + one for the transport fees to issue + one for the adults whose family summary is invalidated
    # + four for the IO messages of the outcome (adults of reference, their channels, the office's defaults, the
    # insert)
    with django_assert_max_num_queries(18):
        changed = services.enrollments_accept_bulk(enrollment_ids=ids, actor=office)
    assert changed == 50
    assert len(ids) - changed == 3
    assert Enrollment.objects.filter(pk__in=[r.pk for r in rows], status=S.ACCEPTED).count() == 50
    assert EnrollmentEvent.objects.filter(action="accepted", actor=office).count() == 50
    assert len(emails("enrollment_accepted")) == 50
    assert not EnrollmentEvent.objects.filter(enrollment__in=refused).exists()


def test_bulk_queries_do_not_grow_with_the_items(parent, office, canteen, school_year, django_assert_num_queries):
    few = [row.pk for row in _bulk_rows(parent, canteen, school_year, 5)]
    many = [row.pk for row in _bulk_rows(parent, canteen, school_year, 40)]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        services.enrollments_accept_bulk(enrollment_ids=few, actor=office)
    with CaptureQueriesContext(connection) as large:
        services.enrollments_accept_bulk(enrollment_ids=many, actor=office)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_bulk_accept_of_waiting_transport_stops_at_capacity(
    parent, office, transport, transport_window, transport_plan, school_year, school, route
):
    rows = [
        transport_submitted(parent, child_of(parent, first_name=f"F{i}"), school_year, school, route, transport)
        for i in range(5)
    ]
    route.capacity = 4
    route.save()
    changed = services.enrollments_accept_bulk(enrollment_ids=[row.pk for row in rows], actor=office)
    assert changed == 4  # 3 holders + the first waiting; the last has no seat
    assert Enrollment.objects.get(pk=rows[4].pk).status == S.WAITLISTED


def test_bulk_reject_and_waitlist(parent, office, canteen, school_year):
    rows = _bulk_rows(parent, canteen, school_year, 6)
    with pytest.raises(ReasonRequiredError):
        services.enrollments_reject_bulk(enrollment_ids=[rows[0].pk], actor=office, reason="")
    assert services.enrollments_reject_bulk(enrollment_ids=[r.pk for r in rows[:3]], actor=office, reason="Fuori") == 3
    assert services.enrollments_waitlist_bulk(enrollment_ids=[r.pk for r in rows], actor=office) == 3
    assert Enrollment.objects.filter(status=S.REJECTED, rejection_reason="Fuori").count() == 3
    positions = sorted(
        int(m) for e in emails("enrollment_waitlisted") for m in re.findall(r"posizione (\d+)", e.body_text)
    )
    assert positions == [1, 2, 3]


def test_bulk_reject_offers_freed_seats(
    parent, office, transport, transport_window, transport_plan, school_year, school, route
):
    rows = [
        transport_submitted(parent, child_of(parent, first_name=f"F{i}"), school_year, school, route, transport)
        for i in range(6)
    ]
    assert services.enrollments_reject_bulk(enrollment_ids=[r.pk for r in rows[:2]], actor=office, reason="No") == 2
    assert [Enrollment.objects.get(pk=r.pk).status for r in rows[2:]] == [
        S.SUBMITTED,
        S.SUBMITTED,
        S.SUBMITTED,
        S.WAITLISTED,
    ]
    assert len(emails("enrollment_seat_offered")) == 2


# --- health data -------------------------------------------------------------------------------------------------


@pytest.fixture
def medical(draft, parent):
    certificate = SimpleUploadedFile("cert.pdf", PDF, content_type="application/pdf")
    services.enrollment_medical_diet_set(enrollment=draft, user=parent, details="Celiachia", certificate=certificate)
    return draft


def test_health_data_needs_the_permission(medical, office, parent):
    for user in (office, parent):
        with pytest.raises(PermissionDenied):
            services.medical_diet_get_for_staff(user=user, enrollment_id=medical.pk)
        with pytest.raises(PermissionDenied):
            services.medical_certificate_open_for_staff(user=user, enrollment_id=medical.pk)
    assert not HealthDataAccess.objects.exists()


def test_health_data_access_is_logged(medical, health_officer):
    diet = services.medical_diet_get_for_staff(user=health_officer, enrollment_id=medical.pk)
    assert diet.details == "Celiachia"
    name, content_type, content = services.medical_certificate_open_for_staff(
        user=health_officer, enrollment_id=medical.pk
    )
    assert (content_type, content[:5]) == ("application/pdf", b"%PDF-")
    assert name.endswith(".pdf")
    log = list(HealthDataAccess.objects.order_by("pk").values_list("user", "enrollment", "action"))
    assert log == [(health_officer.pk, medical.pk, "view"), (health_officer.pk, medical.pk, "download")]


def test_health_data_of_an_enrollment_without_diet_is_not_found(draft, health_officer):
    with pytest.raises(EnrollmentNotFoundError):
        services.medical_diet_get_for_staff(user=health_officer, enrollment_id=draft.pk)


def test_health_data_access_record(health_officer, medical):
    services.health_data_access_record(user=health_officer, enrollment=None, action="export", detail="Mensa Rodari")
    assert HealthDataAccess.objects.get().detail == "Mensa Rodari"
    with pytest.raises(ValueError, match="unknown"):
        services.health_data_access_record(user=health_officer, enrollment=medical, action="peek")


def test_inactive_staff_user_is_refused(medical, health_officer):
    health_officer.is_active = False
    health_officer.save()
    with pytest.raises(PermissionDenied):
        services.medical_diet_get_for_staff(user=health_officer, enrollment_id=medical.pk)
