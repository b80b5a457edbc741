"""The office's admin: the review queue and its actions (single and bulk)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollment.models import Enrollment, EnrollmentEvent

from .factories import enrollment_make
from .helpers import CHANGELIST, action, messages_of, signed_in

pytestmark = pytest.mark.django_db

Status = Enrollment.Status

# --- the review list -----------------------------------------------------------------------------


def test_review_list_shows_the_facts_of_each_enrollment(office_client, queue):
    response = office_client.get(reverse(CHANGELIST))
    body = response.content.decode()

    assert response.status_code == 200
    assert "LBRNNA18A41H501Z" in body
    assert "Alberti Anna" in body
    assert "enrollment-status-submitted" in body
    assert "scaduto" in body  # Anna's ISEE expired in 2020
    assert "richiesta" in body  # Bruno's diet status, not its kind
    assert "vegetariana" not in body
    assert reverse("admin:enrollment_enrollment_late") in body
    assert reverse("admin:enrollment_exports") in body


def test_waiting_positions_follow_the_office_ranking_then_submission(office_client, queue):
    response = office_client.get(reverse(CHANGELIST), {"status__exact": "waitlisted"})
    rows = {e.pk: e.waitlist_position for e in response.context["cl"].result_list}
    assert rows == {queue["elsa"].pk: 1, queue["dario"].pk: 2}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "submitted"}, {"anna", "bruno"}),
        ({"diet_status__exact": "requested"}, {"bruno"}),
        ({"isee": "missing"}, {"carla", "dario", "elsa"}),
        ({"isee": "expired"}, {"anna"}),
        ({"isee": "valid"}, {"bruno"}),
        ({"q": "LBRNNA18A41H501Z"}, {"anna"}),
        ({"q": "bassi bruno"}, {"bruno"}),
        ({"service__id__exact": "transport"}, {"dario", "elsa"}),
    ],
)
def test_review_list_filters_and_search(office_client, queue, transport, params, expected):
    if params.get("service__id__exact") == "transport":
        params = {"service__id__exact": transport.pk}
    response = office_client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    found = {e.pk for e in response.context["cl"].result_list}
    assert found == {queue[name].pk for name in expected}


def test_review_list_search_by_protocol(office_client, queue):
    response = office_client.get(reverse(CHANGELIST), {"q": queue["carla"].protocol})
    assert [e.pk for e in response.context["cl"].result_list] == [queue["carla"].pk]


def test_review_list_runs_a_constant_number_of_queries(
    office_client, canteen, transport, school, school_class, school_year, route, django_assert_num_queries
):
    def add(count: int) -> None:
        stop = route.stops.first()
        for n in range(count):
            if n % 3 == 0:
                enrollment_make(
                    status=Status.WAITLISTED,
                    service=transport,
                    school_year=school_year,
                    school=school,
                    route=route,
                    stop=stop,
                    school_class=school_class,
                )
            else:
                enrollment_make(service=canteen, school_year=school_year, school=school, school_class=school_class)

    url = reverse(CHANGELIST)
    add(5)
    assert office_client.get(url).status_code == 200  # warm-up: session, TOTP, content types
    with CaptureQueriesContext(connection) as five:
        assert len(office_client.get(url).context["cl"].result_list) == 5
    add(25)
    with django_assert_num_queries(len(five)):
        assert len(office_client.get(url).context["cl"].result_list) == 30


# --- bulk actions --------------------------------------------------------------------------------


def test_bulk_accept_says_how_many_were_accepted_and_skipped(office_client, office, queue):
    response = action(office_client, "accept_selected", [queue["anna"], queue["bruno"], queue["carla"]])

    assert response.status_code == 200
    assert "2 iscrizioni accolte. 1 saltata: non era in uno stato che lo consente." in messages_of(response)
    queue["anna"].refresh_from_db()
    assert queue["anna"].status == Status.ACCEPTED
    assert EnrollmentEvent.objects.filter(enrollment=queue["anna"], action="accepted", actor=office).exists()


def test_bulk_reject_asks_for_the_reason_on_an_intermediate_page(office_client, queue):
    chosen = [queue["anna"], queue["carla"]]
    response = action(office_client, "reject_selected", chosen)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Motivo del rifiuto" in body
    assert "Alberti" in body

    response = action(office_client, "reject_selected", chosen, confirm="1", reason="   ")
    assert response.status_code == 200
    assert "Scrivi il motivo del rifiuto." in response.content.decode()
    queue["anna"].refresh_from_db()
    assert queue["anna"].status == Status.SUBMITTED

    response = action(office_client, "reject_selected", chosen, confirm="1", reason="Non residente nel bacino")
    assert "1 iscrizione respinta. 1 saltata: non era in uno stato che lo consente." in messages_of(response)
    queue["anna"].refresh_from_db()
    assert (queue["anna"].status, queue["anna"].rejection_reason) == (Status.REJECTED, "Non residente nel bacino")


def test_bulk_waitlist_and_back(office_client, queue):
    response = action(office_client, "waitlist_selected", [queue["anna"], queue["carla"]])
    assert "1 iscrizione messa in lista d'attesa. 1 saltata: non era in uno stato che lo consente." in messages_of(
        response
    )
    queue["anna"].refresh_from_db()
    assert queue["anna"].status == Status.WAITLISTED

    response = action(office_client, "unwaitlist_selected", [queue["anna"], queue["bruno"]])
    assert "1 iscrizione tolta dalla lista d'attesa. 1 saltata: non era in uno stato che lo consente." in messages_of(
        response
    )
    queue["anna"].refresh_from_db()
    assert queue["anna"].status == Status.SUBMITTED


def test_diet_actions_need_the_health_permission(client, office, health_officer, queue):
    signed_in(client, office)
    actions = client.get(reverse(CHANGELIST)).context["action_form"].fields["action"].choices
    assert "diet_accept_selected" not in dict(actions)
    response = action(client, "diet_accept_selected", [queue["bruno"]])
    queue["bruno"].refresh_from_db()
    assert queue["bruno"].diet_status == Enrollment.DietStatus.REQUESTED

    signed_in(client, health_officer)
    response = action(client, "diet_accept_selected", [queue["bruno"], queue["anna"]])
    assert "1 dieta accolta. 1 saltata: non era in uno stato che lo consente." in messages_of(response)
    queue["bruno"].refresh_from_db()
    assert queue["bruno"].diet_status == Enrollment.DietStatus.ACCEPTED


# --- the change page and its single actions ------------------------------------------------------


def change_url(enrollment) -> str:
    return reverse("admin:enrollment_enrollment_change", args=[enrollment.pk])


def act(client, enrollment, op: str, **fields):
    data = {"op": op, **{f"{op}-{name}": value for name, value in fields.items()}}
    return client.post(reverse("admin:enrollment_enrollment_act", args=[enrollment.pk]), data)


def test_change_page_shows_facts_tariff_history_and_decisions_not_a_form(office_client, office, queue):
    from enrollment import services

    services.enrollment_waitlist(enrollment=queue["anna"], actor=office)
    response = office_client.get(change_url(queue["anna"]))
    body = response.content.decode()

    assert response.status_code == 200
    assert "Fascia ISEE da 7.500,00 € a 15.000,00 € (escluso): 3,50 € a pasto" in body
    assert "messa in lista d&#x27;attesa" in body or "messa in lista d'attesa" in body
    assert str(office) in body
    assert 'name="_save"' not in body
    assert 'value="accept"' in body
    assert 'value="reject"' in body
    assert 'value="isee_expired_accept"' in body
    assert 'value="diet_accept"' not in body  # no diet request, and no health permission anyway


def test_single_reject_without_reason_keeps_the_page_with_the_error(office_client, queue):
    response = act(office_client, queue["anna"], "reject", reason="")
    assert response.status_code == 200
    assert "Scrivi il motivo del rifiuto." in response.content.decode()

    response = act(office_client, queue["anna"], "reject", reason="Domanda doppia")
    assert response.status_code == 302
    queue["anna"].refresh_from_db()
    assert (queue["anna"].status, queue["anna"].rejection_reason) == (Status.REJECTED, "Domanda doppia")


def test_single_exemption_out_of_range_is_refused_then_recomputes_the_tariff(office_client, queue, canteen_plan):
    response = act(office_client, queue["anna"], "exemption", percent="150", reason="Servizi sociali")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Servizi sociali" in body  # what was typed is kept
    assert "100" in body

    response = act(office_client, queue["anna"], "exemption", percent="100", reason="Servizi sociali")
    assert response.status_code == 302
    queue["anna"].refresh_from_db()
    assert (queue["anna"].exemption_percent, queue["anna"].tariff_amount) == (100, Decimal("0.00"))


def test_single_accept_of_expired_isee_and_waitlist_rank(office_client, queue, canteen_plan):
    assert act(office_client, queue["anna"], "isee_expired_accept").status_code == 302
    queue["anna"].refresh_from_db()
    assert queue["anna"].isee_expired_accepted

    assert act(office_client, queue["dario"], "rank", rank="1").status_code == 302
    queue["dario"].refresh_from_db()
    assert queue["dario"].waitlist_rank == 1


def test_single_action_not_allowed_in_the_current_state_changes_nothing(office_client, queue):
    response = act(office_client, queue["carla"], "accept")
    assert response.status_code == 302
    assert any("non è più in uno stato" in m for m in messages_of(response))
    queue["carla"].refresh_from_db()
    assert queue["carla"].status == Status.ACCEPTED


def test_single_accept_then_withdraw(office_client, queue):
    assert act(office_client, queue["bruno"], "accept").status_code == 302
    queue["bruno"].refresh_from_db()
    assert queue["bruno"].status == Status.ACCEPTED
    assert act(office_client, queue["bruno"], "withdraw").status_code == 302
    queue["bruno"].refresh_from_db()
    assert queue["bruno"].status == Status.WITHDRAWN


def test_enrollments_are_never_added_or_deleted_in_the_admin(office_client, queue):
    assert office_client.get(reverse("admin:enrollment_enrollment_add")).status_code == 403
    assert office_client.get(reverse("admin:enrollment_enrollment_delete", args=[queue["anna"].pk])).status_code == 403
