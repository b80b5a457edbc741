"""Every named URL, visited anonymously: public pages answer, everything else sends to the login page.

A new route with URL arguments must get sample values in SAMPLE_KWARGS, or this test fails: no route
escapes the walk.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

# Sample values for every URL argument name used by the project's routes (and allauth's and the admin's).
SAMPLE_KWARGS = {
    "key": "not-a-real-key",
    "uidb36": "1",
    "object_id": "1",
    "id": "1",
    "pk": "1",
    "app_label": "accounts",
    "content_type_id": "1",
    "url": "nothing",
    "token": "not-a-real-token",
    "cf": "00000000000",
    "iupd": "not-a-real-iupd",
    "nav": "301000000000012373",
    "iuv": "01000000000012373",
    "child_id": "1",
    "public_id": "nothing",
    "outcome": "ok",
    "step": "scuola",
    "fdr": "2026-12-01MOCKPSP1-0000001",
    "revision": "1",
    "psp_id": "MOCKPSP1",
    "flow_id": "1",
    "school_id": "1",
    "fiscal_code": "RSSMRA85C52H501N",
    "message_id": "01J00000000000000000000000",
}

# Reachable without login (the value: status codes accepted for an anonymous GET).
PUBLIC = {
    "home": {200},
    "healthz": {200},
    "accessibility": {200},
    "manifest": {200},
    "service_worker": {200},
    "offline": {200},
    "payments:certificate_verify": {200},  # anyone checks a certificate's code
    "accounts:terms": {200},
    "accounts:privacy": {200},
    "account_login": {200},
    "account_signup": {200},
    "account_reset_password": {200},
    "account_reset_password_done": {200},
    "account_reset_password_from_key": {200, 302},
    "account_reset_password_from_key_done": {200},
    "account_email_verification_sent": {200},
    "account_confirm_email": {200},
    "account_inactive": {200},
    "set_language": {302, 405},
    # allauth's two-step login pages send an anonymous visitor back to the login page
    "account_confirm_login_code": {302},
    "mfa_authenticate": {302},
    "account_logout": {200, 302},
    # the pagoPA fake: its API wants the subscription key, its pages stand for the platform's public ones
    "mockpsp:api_debt_positions": {401},
    "mockpsp:api_debt_position": {401},
    "mockpsp:api_debt_position_publish": {401},
    "mockpsp:api_debt_position_invalidate": {401},
    "mockpsp:api_payment_option_paid": {401},
    "mockpsp:api_checkout_carts": {401},
    "mockpsp:api_payment_receipt": {401},
    "mockpsp:api_payment_receipts": {401},
    "mockpsp:api_fdr_list": {401},
    "mockpsp:api_fdr_flow": {401},
    "mockpsp:api_fdr_payments": {401},
    "mockpsp:checkout": {404},
    "mockpsp:checkout_pay": {404},
    "mockpsp:checkout_cancel": {405},
    "mockpsp:shop": {200},
    "mockpsp:shop_done": {404},
    "mockpsp:control": {200},
    # the fake IO: its API wants a service's key (401 shaped as IO's gateway answers), its pages are the app's
    "mockio:api_profiles": {401},
    "mockio:api_messages": {401},
    "mockio:api_message": {401},
    "mockio:inbox": {200},
    "mockio:control": {200},
    # SPID: the choice of IdP (none given: said on the page), the ACS and SLO (POST only), the SP's metadata; the
    # test IdPs (SPID and CIE)
    "spid:login": {400},
    "spid:acs": {405},
    "spid:metadata": {200},
    "spid:metadata_cie": {200},
    "spid:slo": {405},
    "spid:complete": {400},  # no identity waiting: said on the page
    "spid:logout": {302},  # nothing to tell an IdP: the home page
    "spididp:metadata": {200},
    "spididp:sso": {405},
    "spididp:slo": {405},
    "spididp:cie_metadata": {200},
    "spididp:cie_sso": {405},
    "spididp:cie_slo": {405},
    "payments:receipt_intake": {405},
    "payments:pagopa_station": {405},
    "canteen:api_attendance": {405},
}


def named_routes(patterns=None, namespace=None):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            ns = ":".join(filter(None, [namespace, entry.namespace])) or None
            yield from named_routes(entry.url_patterns, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry.pattern.regex.groupindex


ROUTES = sorted({name: list(groups) for name, groups in named_routes()}.items())


def test_every_route_argument_has_a_sample():
    missing = {name: args for name, args in ROUTES if set(args) - SAMPLE_KWARGS.keys()}
    assert not missing, f"Add sample values to SAMPLE_KWARGS for: {missing}"


@pytest.mark.parametrize(("name", "args"), ROUTES, ids=[name for name, _ in ROUTES])
def test_anonymous_visit(client, legal_documents, name, args):
    url = reverse(name, kwargs={arg: SAMPLE_KWARGS[arg] for arg in args})
    response = client.get(url)
    if name in PUBLIC:
        assert response.status_code in PUBLIC[name], (url, response.status_code)
        return
    assert response.status_code == 302, (url, response.status_code)
    # The admin has no login form of its own: it hands over to the portal's login (a hop or two).
    final = client.get(url, follow=True).redirect_chain[-1][0]
    assert final.startswith(reverse("account_login")), (url, final)


def test_walk_covers_the_project_routes():
    names = {name for name, _ in ROUTES}
    assert {"accounts:family", "accounts:profile_edit", "accounts:consent", "admin:index", "mfa_index"} <= names
