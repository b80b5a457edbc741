"""Scenarios of the accounts and enrollment services that change the family page: (url, setup, action, check).

setup(w) prepares rows (not through the service under test) and returns a value passed on; action(w, value)
calls the service; check(w, before, after) looks at the page's HTML before and after.
"""

import datetime
from types import SimpleNamespace

from django.contrib.admin.sites import AdminSite
from django.test import RequestFactory
from django.utils import timezone

from accounts import services as account_services
from accounts.admin.families import ChildAdmin
from accounts.models import Child, Guardianship
from enrollment import services as enrollment_services
from enrollment.models import ServiceKind
from tests.enrollment.factories import (
    RouteFactory,
    ServiceFactory,
    StopFactory,
    draft_ready,
    enrollment_make,
)

from .helpers import FAMILY, Status, as_user, badge, came, gone, no_setup, submitted, waitlisted


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


def _invitee_setup(w):
    as_user(w, w.other)


def _invitation_create(w, _):
    account_services.invitation_create(
        inviter=w.parent,
        children=[w.child],
        email=w.other.email,
        codice_fiscale=w.other.codice_fiscale,
        base_url="https://portale.example.it/",
    )


def _invitation_decline(w, invitation):
    account_services.invitation_decline(user=w.other, invitation_id=invitation.pk)


def _invitation_revoke(w, invitation):
    account_services.invitation_revoke(actor=w.parent, invitation=invitation)


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


SERVICES_SHOWN = {
    # accounts
    "child_add": (FAMILY, no_setup, _child_add, came("Marco Rossi")),
    "child_update_by_office (ChildAdmin.save_model)": (
        FAMILY,
        no_setup,
        _child_update_by_office,
        came("Giuliana Rossi"),
    ),
    "invitation_accept": (FAMILY, _invite_and_accept_setup, _invitation_accept, came("Giulia Rossi")),
    "invitation_create (the invitee's page)": (FAMILY, _invitee_setup, _invitation_create, came("ti invita come")),
    "invitation_decline": (FAMILY, _invite_and_accept_setup, _invitation_decline, gone("ti invita come")),
    "invitation_revoke (the invitee's page)": (
        FAMILY,
        _invite_and_accept_setup,
        _invitation_revoke,
        gone("ti invita come"),
    ),
    "delegate_revoke": (FAMILY, _delegate_setup, _delegate_revoke, gone("Giulia Rossi")),
    "reference_change": (
        FAMILY,
        _reference_change_setup,
        _reference_change,
        lambda w, before, after: "Sei delegato" in before and "Sei l'adulto di riferimento" in after,
    ),
    "imported_family_claim": (FAMILY, _claim_setup, _claim, came("Luchino Rossi")),
    # enrollment
    "enrollment_draft_start": (FAMILY, no_setup, _draft_start, came("Riprendi")),
    "enrollment_draft_discard": (FAMILY, _draft_setup, _draft_discard, gone("Riprendi")),
    "enrollment_submit": (FAMILY, _submit_setup, _submit, came(badge("inviata"))),
    "enrollment_accept": (FAMILY, submitted, _accept, came(badge("accolta"))),
    "enrollment_reject": (FAMILY, submitted, _reject, came("Fuori bacino di utenza")),
    "enrollment_waitlist": (FAMILY, submitted, _waitlist, came("in lista d&#x27;attesa")),
    "enrollment_unwaitlist": (FAMILY, waitlisted, _unwaitlist, came(badge("inviata"))),
    "enrollment_withdraw": (FAMILY, submitted, _withdraw, came(badge("ritirata"))),
    "enrollments_accept_bulk": (FAMILY, submitted, _accept_bulk, came(badge("accolta"))),
    "enrollments_reject_bulk": (FAMILY, submitted, _reject_bulk, came("Posti esauriti")),
    "enrollments_waitlist_bulk": (FAMILY, submitted, _waitlist_bulk, came("in lista d&#x27;attesa")),
    "seat freed by another family (seats_offer)": (FAMILY, _route_setup, _seat_freed, came(badge("inviata"))),
    "route_waitlist_fill": (FAMILY, _route_setup, _route_waitlist_fill, came(badge("inviata"))),
    "enrollment_waitlist_rank_set (position, read live)": (
        FAMILY,
        _rank_setup,
        _rank_set,
        lambda w, before, after: "posizione 2" in before and "posizione 1" in after,
    ),
}
