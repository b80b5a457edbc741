"""Hypothesis over the add-child page: whatever is typed, the answer is a page, never a 500."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Child

text = st.text(max_size=40) | st.text(alphabet="ABCDEFGHILMNOPRSTUVZ0123456789 -", min_size=14, max_size=18)


@pytest.mark.django_db
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    codice_fiscale=text,
    first_name=text,
    last_name=text,
    confirmed_cf=text,
)
def test_add_child_never_fails(parent_client, codice_fiscale, first_name, last_name, confirmed_cf):
    data = {
        "codice_fiscale": codice_fiscale,
        "first_name": first_name,
        "last_name": last_name,
        "confirmed_cf": confirmed_cf,
    }
    response = parent_client.post(reverse("accounts:child_add"), data)
    assert response.status_code in (200, 302)
    if response.status_code == 200 and "\x00" not in codice_fiscale:  # PostgreSQL refuses NUL in a query
        assert not Child.objects.filter(codice_fiscale=codice_fiscale.strip().upper()).exists()
