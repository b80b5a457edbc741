"""The site's own pages: home, accessibility statement, and the family dashboard that reads every app."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import selectors as account_selectors
from accounts.http import AuthenticatedHttpRequest

from . import selectors


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:family")
    return render(request, "portal/home.html")


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/accessibility.html")


@login_required
@require_GET
def family_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The parent's page after login: their details, consents, and what to do next."""
    user = request.user
    documents = account_selectors.legal_documents_current()
    summary = selectors.family_summary_for_user(user=user)  # cached until a service changes it
    children = summary.children
    enrollment_cards = summary.enrollment_cards
    balances = summary.balances
    open_notices_count = summary.open_notices_count
    context = {
        "children": children,
        "enrollment_cards": enrollment_cards,
        # The enrollments' and the balances' HTML is cached under everything it shows (cards name the children).
        "enrollments_key": f"{children!r}|{enrollment_cards!r}",
        "payment_balances": balances,
        "open_notices_count": open_notices_count,
        "balances_key": repr(
            [(b.child_id, b.child.first_name, b.child.last_name, b.service_kind, b.amount) for b in balances]
            + [open_notices_count]
        ),
        # Everything the children's cards show (ages change with the date): the key of their cached HTML.
        "children_key": f"{timezone.localdate()}|{children!r}",
        "imported_family": account_selectors.imported_family_is_pending_for_user(user=user),
        "received_invitations": summary.received_invitations,
        # The consent middleware let this request through: the user accepted every current version.
        "accepted_documents": documents.values(),
        "accepted_documents_key": "-".join(str(document.pk) for document in documents.values()),
        "mfa_enabled": account_selectors.user_has_totp(user=user),
        "profile_complete": bool(user.phone),
    }
    return render(request, "portal/family_dashboard.html", context)
