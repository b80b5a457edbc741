"""The cached family summary (portal.family_cache): the family page and the payments page read it without queries
while it is valid, and every service that changes what they show invalidates it.

- the cache is really used: a row changed behind the services' back is *not* seen until an invalidation, so the
  parametrised test below would fail for a service that forgot to invalidate;
- `SERVICES_SHOWN`: for each service that changes what a page shows, render (warm cache), call it, render again
  and look for the change;
- every public service of accounts, enrollment and payments is classified here (shown / writes without a visible
  change / writes nothing the pages read): a new one fails `test_every_service_is_classified` until someone
  decides; and tests/family_cache_guard.py (on in every test) fails any service that writes the pages' tables
  without invalidating, which `test_the_guard_catches_a_service_that_forgets` proves;
- cache down: both pages still answer, computed from the database.
"""

import datetime
import inspect
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock

import pytest
from django.contrib.admin.sites import AdminSite
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.admin.families import ChildAdmin
from accounts.models import Child, Guardianship
from enrollment import services as enrollment_services
from enrollment.models import Enrollment, ServiceKind
from payments import services as payment_services
from payments.models import Balance, PaymentNotice
from portal import family_cache
from tests import family_cache_guard
from tests.conftest import make_user
from tests.enrollment.factories import (
    EnrollmentWindowFactory,
    RouteFactory,
    SchoolFactory,
    SchoolYearFactory,
    ServiceFactory,
    StopFactory,
    draft_ready,
    enrollment_make,
    plan_with_bands,
)
from tests.payments.factories import receipt_pay, single_option

pytestmark = pytest.mark.django_db

Status = Enrollment.Status
FAMILY = reverse("accounts:family")
PAYMENTS = reverse("payments:notices")


def page(client, url=FAMILY) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def badge(label: str) -> str:
    return f">{label}</span>"


@pytest.fixture
def world(parent, other_parent, client, legal_documents):
    """Maria (parent) with Giulia; a school year with the canteen open; the office; Maria signed in."""
    year = SchoolYearFactory(start=2026)
    school = SchoolFactory(name="Scuola primaria Gianni Rodari")
    canteen = ServiceFactory(kind=ServiceKind.CANTEEN, schools=[school])
    plan_with_bands(service=canteen, school_year=year)
    EnrollmentWindowFactory(service=canteen, school_year=year)
    giulia = account_services.child_add(
        adult=parent,
        codice_fiscale="RSSGLI18C52H501V",
        first_name="Giulia",
        last_name="Rossi",
        birth_date=datetime.date(2018, 3, 12),
        sex="F",
    )
    office = make_user(
        codice_fiscale="VRDGLI79P61A944R",
        email="ufficio@example.it",
        is_staff=True,
        is_superuser=True,
        documents=legal_documents,
    )
    client.force_login(parent)
    return SimpleNamespace(
        parent=parent,
        other=other_parent,
        child=giulia,
        office=office,
        year=year,
        school=school,
        canteen=canteen,
        client=client,
    )


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


# --- scenarios: (setup, action, check) ---------------------------------------------------------------------------
# setup(w) prepares rows (not through the services under test) and may return a value passed to action and check;
# action(w, value) calls the service; check(w, before, after) looks at the page's HTML before and after.
# `url` is the page the scenario looks at.


def _child_add(w, _):
    account_services.child_add(
        adult=w.parent,
        codice_fiscale="RSSMRC20P05H501X",
        first_name="Marco",
        last_name="Rossi",
        birth_date=datetime.date(2020, 9, 5),
        sex="M",
    )


def _child_update_by_office(w, _):
    child = Child.objects.get(pk=w.child.pk)
    child.first_name = "Giuliana"
    request = RequestFactory().post("/")
    request.user = w.office
    ChildAdmin(Child, AdminSite()).save_model(request, child, form=None, change=True)


def _invite_and_accept_setup(w):
    as_user(w, w.other)
    return account_services.invitation_create(
        inviter=w.parent,
        children=[w.child],
        email=w.other.email,
        codice_fiscale=w.other.codice_fiscale,
        base_url="https://portale.example.it/",
    )


def _invitation_accept(w, invitation):
    account_services.invitation_accept(user=w.other, token=invitation.token)


def _delegate_setup(w):
    guardianship = Guardianship.objects.create(
        adult=w.other, child=w.child, role=Guardianship.Role.DELEGATE, granted_by=w.parent
    )
    as_user(w, w.other)
    return guardianship


def _delegate_revoke(w, guardianship):
    account_services.delegate_revoke(actor=w.parent, guardianship=guardianship)


def _reference_change_setup(w):
    _delegate_setup(w)
    return None


def _reference_change(w, _):
    account_services.reference_change(actor=w.office, child=w.child, new_adult=w.other, reason="Affido al padre")


def _claim_setup(w):
    from accounts.models import ImportedAdult

    imported = ImportedAdult.objects.create(
        codice_fiscale=w.parent.codice_fiscale, first_name="Maria", last_name="Rossi", email=""
    )
    Child.objects.create(
        codice_fiscale="RSSLCU15A01H501W",
        first_name="Luchino",
        last_name="Rossi",
        birth_date=datetime.date(2015, 1, 1),
        sex="M",
        imported_from=imported,
    )
    return account_services.activation_letter_issue(imported_adult=imported, actor=w.office)


def _claim(w, code):
    account_services.imported_family_claim(user=w.parent, code=code)


def _draft_start(w, _):
    enrollment_services.enrollment_draft_start(
        user=w.parent, child_id=w.child.pk, service_id=w.canteen.pk, school_year_id=w.year.pk
    )


def _draft_setup(w):
    return enrollment_services.enrollment_draft_start(
        user=w.parent, child_id=w.child.pk, service_id=w.canteen.pk, school_year_id=w.year.pk
    )


def _draft_discard(w, draft):
    enrollment_services.enrollment_draft_discard(enrollment=draft, user=w.parent)


def _submit_setup(w):
    return draft_ready(user=w.parent, child=w.child, service=w.canteen, school_year=w.year, school=w.school)


def _submit(w, draft):
    enrollment_services.enrollment_submit(enrollment=draft, user=w.parent, declarations=True)


def _accept(w, row):
    enrollment_services.enrollment_accept(enrollment=row, actor=w.office)


def _reject(w, row):
    enrollment_services.enrollment_reject(enrollment=row, actor=w.office, reason="Fuori bacino di utenza")


def _waitlist(w, row):
    enrollment_services.enrollment_waitlist(enrollment=row, actor=w.office)


def _unwaitlist(w, row):
    enrollment_services.enrollment_unwaitlist(enrollment=row, actor=w.office)


def _withdraw(w, row):
    enrollment_services.enrollment_withdraw(enrollment=row, user=w.parent)


def _accept_bulk(w, row):
    enrollment_services.enrollments_accept_bulk(enrollment_ids=[row.pk], actor=w.office)


def _reject_bulk(w, row):
    enrollment_services.enrollments_reject_bulk(enrollment_ids=[row.pk], actor=w.office, reason="Posti esauriti")


def _waitlist_bulk(w, row):
    enrollment_services.enrollments_waitlist_bulk(enrollment_ids=[row.pk], actor=w.office)


def _route_setup(w):
    """Giulia waits for a seat on a full route of one seat (held by another child)."""
    route = RouteFactory(school_year=w.year, name="Linea 1", capacity=1, schools=[w.school])
    StopFactory(route=route, order=1, name="Piazza Roma")
    transport = ServiceFactory(kind=ServiceKind.TRANSPORT, schools=[w.school])
    other_child = Child.objects.create(
        codice_fiscale="BNCNNA19B41F205J",
        first_name="Anna",
        last_name="Bianchi",
        birth_date=datetime.date(2019, 2, 1),
        sex="F",
    )
    Guardianship.objects.create(adult=w.other, child=other_child, role=Guardianship.Role.REFERENCE)
    holder = enrollment_make(
        child=other_child,
        service=transport,
        school_year=w.year,
        created_by=w.other,
        route=route,
        status=Status.SUBMITTED,
    )
    waiting = enrollment_make(
        child=w.child,
        service=transport,
        school_year=w.year,
        created_by=w.parent,
        route=route,
        status=Status.WAITLISTED,
    )
    return SimpleNamespace(route=route, holder=holder, waiting=waiting)


def _seat_freed(w, s):
    """Another family withdraws: the freed seat goes to Giulia (seats_offer, in the other family's service)."""
    enrollment_services.enrollment_withdraw(enrollment=s.holder, user=w.other)


def _route_waitlist_fill(w, s):
    s.route.capacity = 2
    s.route.save(update_fields=["capacity"])
    enrollment_services.route_waitlist_fill(route=s.route, actor=w.office)


def _rank_setup(w):
    s = _route_setup(w)
    first = enrollment_make(
        child=Child.objects.create(
            codice_fiscale="VRDLCU17A01H501Z",
            first_name="Luca",
            last_name="Verdi",
            birth_date=datetime.date(2017, 1, 1),
            sex="M",
        ),
        service=s.waiting.service,
        school_year=w.year,
        created_by=w.other,
        route=s.route,
        status=Status.WAITLISTED,
        submitted_at=timezone.now() - datetime.timedelta(days=1),
    )
    return SimpleNamespace(**vars(s), first=first)


def _rank_set(w, s):
    enrollment_services.enrollment_waitlist_rank_set(enrollment=s.waiting, actor=w.office, rank=1)


def _topup(w, _):
    topup(w)


def _notice_issue_fee(w, _):
    payment_services.notice_issue(
        child=w.child,
        service_kind=ServiceKind.CANTEEN,
        purpose=PaymentNotice.Purpose.FEE,
        amount=Decimal("30.00"),
        causale="Quota mensa settembre",
        due_date=timezone.localdate() + datetime.timedelta(days=30),
        payer=w.parent,
    )


def _notices_issue_bulk(w, _):
    payment_services.notices_issue_bulk(
        specs=[
            {
                "child": w.child,
                "service_kind": ServiceKind.CANTEEN,
                "purpose": PaymentNotice.Purpose.FEE,
                "amount": Decimal("30.00"),
                "causale": "Quota mensa settembre",
                "due_date": timezone.localdate() + datetime.timedelta(days=30),
                "payer": w.parent,
            }
        ]
    )


def _transport_fee_setup(w):
    transport = ServiceFactory(kind=ServiceKind.TRANSPORT, schools=[w.school])
    plan_with_bands(service=transport, school_year=w.year, bands=[("0", None, "150.00")])
    return enrollment_make(
        child=w.child,
        service=transport,
        school_year=w.year,
        created_by=w.parent,
        status=Status.ACCEPTED,
        tariff_amount=Decimal("150.00"),
    )


def _transport_fees_issue(w, row):
    payment_services.transport_fees_issue(enrollment_ids=[row.pk], actor=w.office)


def _nursery_fee_setup(w):
    nido = SchoolFactory(name="Nido Girasoli", kind="nido")
    nursery = ServiceFactory(kind=ServiceKind.NURSERY, schools=[nido])
    return enrollment_make(
        child=w.child,
        service=nursery,
        school_year=w.year,
        created_by=w.parent,
        status=Status.ACCEPTED,
        tariff_amount=Decimal("180.00"),
    )


def _nursery_fees_issue(w, _):
    payment_services.nursery_fees_issue(month=w.year.starts_on, actor=w.office)


def _notice_setup(w):
    return topup(w, "25.00")


def _notice_cancel(w, notice):
    payment_services.notice_cancel(notice_id=notice.pk, actor=w.office, reason="Emesso per errore")


def _expire_setup(w):
    notice = topup(w, "25.00")
    return notice


def _expire(w, notice):
    payment_services.notices_expire_overdue(today=notice.due_date + datetime.timedelta(days=1))


def _receipt(w, notice):
    assert receipt_pay(single_option(notice))[1] == 200


def _ledger_adjust(w, _):
    payment_services.ledger_adjust(
        child=w.child, service_kind=ServiceKind.CANTEEN, amount=Decimal("7.00"), reason="Rimborso gita", actor=w.office
    )


def _ledger_refund_setup(w):
    payment_services.ledger_adjust(
        child=w.child, service_kind=ServiceKind.CANTEEN, amount=Decimal("20.00"), reason="Credito", actor=w.office
    )


def _ledger_refund(w, _):
    payment_services.ledger_refund(
        child=w.child, service_kind=ServiceKind.CANTEEN, amount=Decimal("5.00"), reason="Rimborso", actor=w.office
    )


def _meal_debit(w, _):
    payment_services.ledger_meal_debit(child=w.child, day=timezone.localdate(), amount=Decimal("4.50"))


def _no_setup(w):
    return None


def _submitted(w):
    return enrollment(w, Status.SUBMITTED)


def _waitlisted(w):
    return enrollment(w, Status.WAITLISTED)


def _gone(text):
    return lambda w, before, after: text in before and text not in after


def _came(text):
    return lambda w, before, after: text not in before and text in after


SERVICES_SHOWN = {
    # accounts
    "child_add": (FAMILY, _no_setup, _child_add, _came("Marco Rossi")),
    "child_update_by_office (ChildAdmin.save_model)": (
        FAMILY,
        _no_setup,
        _child_update_by_office,
        _came("Giuliana Rossi"),
    ),
    "invitation_accept": (FAMILY, _invite_and_accept_setup, _invitation_accept, _came("Giulia Rossi")),
    "delegate_revoke": (FAMILY, _delegate_setup, _delegate_revoke, _gone("Giulia Rossi")),
    "reference_change": (
        FAMILY,
        _reference_change_setup,
        _reference_change,
        lambda w, before, after: "Sei delegato" in before and "Sei l'adulto di riferimento" in after,
    ),
    "imported_family_claim": (FAMILY, _claim_setup, _claim, _came("Luchino Rossi")),
    # enrollment
    "enrollment_draft_start": (FAMILY, _no_setup, _draft_start, _came("Riprendi")),
    "enrollment_draft_discard": (FAMILY, _draft_setup, _draft_discard, _gone("Riprendi")),
    "enrollment_submit": (FAMILY, _submit_setup, _submit, _came(badge("inviata"))),
    "enrollment_accept": (FAMILY, _submitted, _accept, _came(badge("accolta"))),
    "enrollment_reject": (FAMILY, _submitted, _reject, _came("Fuori bacino di utenza")),
    "enrollment_waitlist": (FAMILY, _submitted, _waitlist, _came("in lista d&#x27;attesa")),
    "enrollment_unwaitlist": (FAMILY, _waitlisted, _unwaitlist, _came(badge("inviata"))),
    "enrollment_withdraw": (FAMILY, _submitted, _withdraw, _came(badge("ritirata"))),
    "enrollments_accept_bulk": (FAMILY, _submitted, _accept_bulk, _came(badge("accolta"))),
    "enrollments_reject_bulk": (FAMILY, _submitted, _reject_bulk, _came("Posti esauriti")),
    "enrollments_waitlist_bulk": (FAMILY, _submitted, _waitlist_bulk, _came("in lista d&#x27;attesa")),
    "seat freed by another family (seats_offer)": (FAMILY, _route_setup, _seat_freed, _came(badge("inviata"))),
    "route_waitlist_fill": (FAMILY, _route_setup, _route_waitlist_fill, _came(badge("inviata"))),
    "enrollment_waitlist_rank_set (position, read live)": (
        FAMILY,
        _rank_setup,
        _rank_set,
        lambda w, before, after: "posizione 2" in before and "posizione 1" in after,
    ),
    # payments
    "topup_create (notice_issue)": (PAYMENTS, _no_setup, _topup, _came("20,00")),
    "topup_create: the family page's count": (FAMILY, _no_setup, _topup, _came("Hai 1 avviso da pagare")),
    "notice_issue (fee: ledger_record_many)": (FAMILY, _no_setup, _notice_issue_fee, _came("-30,00")),
    "notices_issue_bulk": (PAYMENTS, _no_setup, _notices_issue_bulk, _came("Quota mensa settembre")),
    "transport_fees_issue": (PAYMENTS, _transport_fee_setup, _transport_fees_issue, _came("150,00")),
    "nursery_fees_issue": (PAYMENTS, _nursery_fee_setup, _nursery_fees_issue, _came("180,00")),
    "notice_cancel": (PAYMENTS, _notice_setup, _notice_cancel, _came("annullato")),
    "notices_expire_overdue": (PAYMENTS, _expire_setup, _expire, _came(badge("scaduto"))),
    "receipt_intake": (PAYMENTS, _notice_setup, _receipt, _came(badge("pagato"))),
    "receipt_intake: the family page's balance": (FAMILY, _notice_setup, _receipt, _came("25,00")),
    "ledger_adjust": (FAMILY, _no_setup, _ledger_adjust, _came("7,00")),
    "ledger_refund": (PAYMENTS, _ledger_refund_setup, _ledger_refund, _came("15,00")),
    "ledger_meal_debit": (FAMILY, _no_setup, _meal_debit, _came("-4,50")),
}


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


# --- the cache is used, and a write behind the services' back is not seen ----------------------------------------


def test_a_balance_changed_without_a_service_is_not_seen_until_invalidated(world):
    """Proves the parametrised test can fail: without the invalidation the pages keep what they cached."""
    payment_services.ledger_adjust(
        child=world.child, service_kind=ServiceKind.CANTEEN, amount=Decimal("7.00"), reason="Credito", actor=None
    )
    assert "7,00" in page(world.client)
    assert "7,00" in page(world.client, PAYMENTS)
    Balance.objects.filter(child=world.child).update(amount=Decimal("99.00"))  # no service: no invalidation

    assert "99,00" not in page(world.client)
    assert "99,00" not in page(world.client, PAYMENTS)
    account_services.family_summary_invalidate(child_ids=[world.child.pk])
    assert "99,00" in page(world.client)
    assert "99,00" in page(world.client, PAYMENTS)


def test_warm_family_page_reads_no_summary_table(world, django_assert_num_queries):
    enrollment(world, Status.SUBMITTED)
    topup(world)
    page(world.client)
    with django_assert_num_queries(1) as captured:  # the user (the session is in the cache)
        page(world.client)
    assert all("accounts_user" in query["sql"] for query in captured.captured_queries)


def test_warm_payments_page_reads_no_summary_table(world, django_assert_num_queries):
    topup(world)
    page(world.client, PAYMENTS)
    with django_assert_num_queries(1):
        page(world.client, PAYMENTS)


def test_an_invalidation_reaches_every_adult_of_the_child_and_no_other_family(world):
    Guardianship.objects.create(adult=world.other, child=world.child, role=Guardianship.Role.DELEGATE)
    third = make_user(codice_fiscale="VRDPLA80D10H501X", email="paolo@example.it")

    def tokens():
        return {
            user.pk: family_cache.cache.get(family_cache.version_key(user.pk))
            for user in (world.parent, world.other, third)
        }

    for user in (world.parent, world.other, third):
        family_cache.family_cached(user_id=user.pk, part="probe", compute=lambda: 1)
    before = tokens()

    account_services.family_summary_invalidate(child_ids=[world.child.pk])

    after = tokens()
    assert after[world.parent.pk] != before[world.parent.pk]
    assert after[world.other.pk] != before[world.other.pk]
    assert after[third.pk] == before[third.pk]


def test_a_summary_computed_before_a_commit_is_never_served_after_it(world):
    """A page that read the database before a write committed, and stores after the write's bump, stores under
    the token it read first: the next page does not take it."""
    calls = []

    def stale_compute():
        calls.append("stale")
        # the writer commits and bumps while this page is computing
        family_cache._versions_set(frozenset({world.parent.pk}))
        return "stale"

    assert family_cache.family_cached(user_id=world.parent.pk, part="probe", compute=stale_compute) == "stale"
    assert family_cache.family_cached(user_id=world.parent.pk, part="probe", compute=lambda: "fresh") == "fresh"


def test_the_office_renaming_a_service_reaches_every_family(world):
    enrollment(world, Status.SUBMITTED)
    assert "Mensa scolastica" in page(world.client)
    world.canteen.name = "Refezione scolastica"
    world.canteen.save()
    assert "Refezione scolastica" not in page(world.client)  # cached
    account_services.family_summary_invalidate_all()
    assert "Refezione scolastica" in page(world.client)


# --- the cache is down --------------------------------------------------------------------------------------------


class DownCache:
    def __getattr__(self, name):
        def call(*args, **kwargs):
            raise ConnectionError("Redis non risponde (test)")

        return call


def test_with_the_cache_down_both_pages_work_from_the_database(world, django_capture_on_commit_callbacks):
    enrollment(world, Status.SUBMITTED)
    page(world.client)
    with mock.patch.object(family_cache, "cache", DownCache()):
        with django_capture_on_commit_callbacks(execute=True):
            payment_services.ledger_adjust(
                child=world.child, service_kind=ServiceKind.CANTEEN, amount=Decimal("7.00"), reason="X", actor=None
            )
            topup(world)
        family = page(world.client)
        payments = page(world.client, PAYMENTS)
    assert "7,00" in family
    assert badge("inviata") in family
    assert "Hai 1 avviso da pagare" in family
    assert "20,00" in payments


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
    "invitation_create",
    "invitation_revoke",
    "legal_document_publish",
    "legal_documents_cache_clear",
    "user_profile_update",  # the user's own name and phone: the page's fragment is keyed on them
    "certificate_check",
    "enrollment_tariff_preview",
    "health_data_access_record",
    "medical_certificate_open_for_staff",
    "medical_diet_get_for_staff",
    "cart_open",
    "cart_return",
    "iuv_allocate",
    "notice_publish",
    "notices_publish_pending",
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
        "SERVICES_NOT_WRITING in tests/portal/test_family_cache.py"
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
