"""Fixtures shared by the payments tests (the families are in tests/conftest.py)."""

import pytest

from tests.payments.factories import parent_make


@pytest.fixture
def staff_user(db):
    """An office user (acts on notices: cancellation)."""
    return parent_make(first_name="Ufficio", last_name="Scuola")
