"""Every service that changes what the family page or the payments page shows invalidates the family summary;
every public service is classified; the guard (tests/family_cache_guard.py) catches one that forgets."""

import datetime
import inspect
from unittest import mock

import pytest

from accounts import services as account_services
from enrollment import services as enrollment_services
from enrollment.models import ServiceKind
from payments import services as payment_services
from payments.models import Balance, PaymentNotice
from tests import family_cache_guard

from . import scenarios_family, scenarios_payments
from .helpers import page

pytestmark = pytest.mark.django_db

SERVICES_SHOWN = {**scenarios_family.SERVICES_SHOWN, **scenarios_payments.SERVICES_SHOWN}


@pytest.mark.parametrize("name", list(SERVICES_SHOWN))
def test_every_service_that_changes_a_page_invalidates_it(name, world, django_capture_on_commit_callbacks):
    url, setup, action, check = SERVICES_SHOWN[name]
    value = setup(world)
    page(world.client, url)  # the summary is cached now
    before = page(world.client, url)  # from the cache
    with django_capture_on_commit_callbacks(execute=True):
        action(world, value)
    after = page(world.client, url)
    assert check(world, before, after), f"{name}: the change is not on {url}"


# --- every service is classified; the guard catches one that forgets ---------------------------------------------

# Services that write what the pages read, but nothing the pages show changes (they invalidate all the same; the
# guard checks that they do when their own tests run).
SERVICES_WRITING_NOT_SHOWN = {
    "enrollment_draft_update",  # the step of a draft: the card shows "Riprendi" whatever the step
    "enrollment_medical_diet_set",
    "enrollment_diet_decide",
    "enrollment_exemption_set",
    "enrollment_isee_expired_accept",
    "ledger_record",  # the ledger's own primitives, behind the services above
    "ledger_record_many",
    "imported_family_auto_claim",  # the same _claim as imported_family_claim
    "imported_family_identity_claim",  # the same _claim, after a SPID/CIE entry
    # the retention purges: the medical details, the ISEE value and DSU protocol, never-verified accounts
    "medical_diet_purge",
    "enrollment_isee_purge",
    "user_unverified_purge",
    # reconciliation: FdR rows and the notice's platform state (REPORTED), which the pages do not show
    "fdr_import",
    "fdr_rematch",
}
# Services that write nothing the pages read (or only the platform's bookkeeping of a notice).
SERVICES_NOT_WRITING = {
    "activation_code_generate",
    "activation_code_is_well_formed",
    "activation_code_normalize",
    "activation_letter_issue",
    "consent_accept",
    "family_event_record",
    "family_summary_invalidate",
    "family_summary_invalidate_all",
    "invitation_check",
    "legal_document_publish",
    "legal_documents_cache_clear",
    "user_profile_update",  # the user's own name and phone: the page's fragment is keyed on them
    "user_password_retire",  # the password hash: no page shows it
    "authenticator_remove_by_office",  # staff security: TOTP codes, confirmations, authenticators
    "staff_mfa_code_send",
    "staff_mfa_code_verify",
    "staff_mfa_confirmation_consume",
    "staff_mfa_confirmation_is_valid",
    "staff_mfa_email_for_user",
    "certificate_check",
    "enrollment_tariff_preview",
    "health_data_access_record",
    "medical_certificate_open_for_staff",
    "medical_diet_get_for_staff",
    "cart_open",
    "cart_return",
    "iuv_allocate",
    "notice_publish",
    "notice_publish_retry",  # the platform's bookkeeping of a notice, and its history
    "receipt_intake_refuse",  # a refused call: one ReceiptMessage row, nothing the pages read
    "receipt_message_store",  # a message refused before it is read as a receipt: one ReceiptMessage row
    "refused_intake_call_purge",
    "notices_publish_pending",
    "notice_payer_default",  # reads the child's adult of reference
}


def _shown_services() -> set[str]:
    return {name.split(" ")[0].split(":")[0] for name in SERVICES_SHOWN}


def test_every_service_is_classified():
    public = set()
    for module in (account_services, enrollment_services, payment_services):
        public |= {name for name in module.__all__ if inspect.isfunction(getattr(module, name))}
    classified = _shown_services() | SERVICES_WRITING_NOT_SHOWN | SERVICES_NOT_WRITING
    assert public - classified == set(), (
        "New services: add each to SERVICES_SHOWN (with a scenario), SERVICES_WRITING_NOT_SHOWN or "
        "SERVICES_NOT_WRITING in tests/portal/family_cache/"
    )


@pytest.mark.family_cache_unguarded
def test_the_guard_catches_a_service_that_forgets(world, monkeypatch):
    """With child_add's invalidation removed, the guard names child_add and the tables it wrote."""
    with (
        family_cache_guard.tracking(monkeypatch) as tracker,
        mock.patch("accounts.services.family.family_summary_invalidate"),
    ):
        account_services.child_add(
            adult=world.parent,
            codice_fiscale="RSSMRC20P05H501X",
            first_name="Marco",
            last_name="Rossi",
            birth_date=datetime.date(2020, 9, 5),
            sex="M",
        )
    missing = tracker.missing()
    assert missing == {"accounts.services.family.child_add": {"accounts_child", "accounts_guardianship"}}
    assert "accounts.services.family.child_add writes accounts_child, accounts_guardianship" in (
        family_cache_guard.report(missing)
    )


@pytest.mark.family_cache_unguarded
def test_the_guard_is_quiet_for_a_service_that_invalidates_and_for_plain_rows(world, monkeypatch):
    with family_cache_guard.tracking(monkeypatch) as tracker:
        account_services.child_add(
            adult=world.parent,
            codice_fiscale="RSSMRC20P05H501X",
            first_name="Marco",
            last_name="Rossi",
            birth_date=datetime.date(2020, 9, 5),
            sex="M",
        )
        Balance.objects.create(child=world.child, service_kind=ServiceKind.CANTEEN)  # a test's own row
        PaymentNotice.objects.filter(child=world.child).update(platform_error="x")  # bookkeeping column only
    assert tracker.missing() == {}
    assert tracker.writes.keys() == {"accounts.services.family.child_add"}
