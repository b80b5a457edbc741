"""Hypothesis over the ISEE page: whatever is typed, the answer is a page or a redirect, never a 500."""

from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrollment import services
from enrollment.validators import ISEE_MAX

amounts = (
    st.text(max_size=20)
    | st.text(alphabet="0123456789.,- €", max_size=16)
    | st.decimals(min_value=-10, max_value=2_000_000, places=2, allow_nan=False).map(str)
)
protocols = st.text(max_size=40) | st.from_regex(r"INPS-ISEE-20[0-9]{2}-[0-9A-Z]{8,9}-[0-9]{2}", fullmatch=True)
dates = (
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")) | st.dates().map(lambda d: d.isoformat()) | st.text(max_size=12)
)


@pytest.fixture
def isee_url(parent, giulia, canteen_window, canteen_plan, school):
    draft = services.enrollment_draft_start(
        user=parent,
        child_id=giulia.pk,
        service_id=canteen_window.service_id,
        school_year_id=canteen_window.school_year_id,
    )
    services.enrollment_draft_update(enrollment=draft, user=parent, step="school", data={"school": school})
    return draft, reverse("enrollment:step", kwargs={"pk": draft.pk, "step": "isee"})


@pytest.mark.django_db
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    presented=st.sampled_from(["si", "no", "", "forse", "\x00"]),
    amount=amounts,
    protocol=protocols,
    expires_on=dates,
    action=st.sampled_from(["continua", "esci"]),
)
def test_isee_page_never_fails(parent_client, isee_url, presented, amount, protocol, expires_on, action):
    draft, url = isee_url
    data = {"presented": presented, "amount": amount, "protocol": protocol, "expires_on": expires_on, "azione": action}
    response = parent_client.post(url, data)
    assert response.status_code in (200, 302)
    draft.refresh_from_db()
    if draft.isee_amount is not None:
        assert Decimal(0) <= draft.isee_amount <= ISEE_MAX
    if response.status_code == 200:
        assert (
            "Controlla i campi evidenziati" in response.content.decode() or "alert-danger" in response.content.decode()
        )
