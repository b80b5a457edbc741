"""Query budgets of the pages every visitor opens (bench/http.py prints the same counts for the family page).

A realistic request is measured after a warm-up request. Two costs are paid once and measured apart:
the first request after a publish (or after the 5-minute timeout) fills the cache of the current legal
documents (one query), and the first request of a session checks the consents once (then cached).
"""

import pytest
from django.urls import reverse

from accounts import services as account_services

pytestmark = pytest.mark.django_db

WARM_BUDGET = 8
COLD_BUDGET = 10
# The family page with its summary cached (portal.family_cache): the user, and nothing of the family.
FAMILY_WARM_BUDGET = 1


def test_family_page_warm_request_stays_within_budget(parent_client, parent, django_assert_max_num_queries):
    assert parent_client.get(reverse("accounts:family")).status_code == 200  # warm-up: caches and session

    with django_assert_max_num_queries(FAMILY_WARM_BUDGET):
        response = parent_client.get(reverse("accounts:family"))
    assert response.status_code == 200
    assert parent.codice_fiscale in response.content.decode()


def test_family_page_with_cold_document_cache_stays_within_budget(parent_client, django_assert_max_num_queries):
    assert parent_client.get(reverse("accounts:family")).status_code == 200  # the session is in order
    account_services.legal_documents_cache_clear()

    with django_assert_max_num_queries(FAMILY_WARM_BUDGET + 1):  # + the legal documents
        response = parent_client.get(reverse("accounts:family"))
    assert response.status_code == 200


def test_family_page_first_request_of_a_session_stays_within_budget(parent_client, django_assert_max_num_queries):
    # The consents are checked once per session, and the family summary is computed (4 queries) and cached.
    with django_assert_max_num_queries(WARM_BUDGET):
        response = parent_client.get(reverse("accounts:family"))
    assert response.status_code == 200


def test_home_page_anonymous_cold_request_stays_within_budget(client, legal_documents, django_assert_max_num_queries):
    with django_assert_max_num_queries(COLD_BUDGET):
        response = client.get(reverse("home"))
    assert response.status_code == 200


def test_home_page_anonymous_warm_request_stays_within_budget(client, legal_documents, django_assert_max_num_queries):
    assert client.get(reverse("home")).status_code == 200  # warm-up

    with django_assert_max_num_queries(WARM_BUDGET):
        response = client.get(reverse("home"))
    assert response.status_code == 200
