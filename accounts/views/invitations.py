"""Delegates' pages: invite another adult, accept an invitation, revoke an invitation or a delegation.

Anything the user may not touch is a 404, never a 403: the pages reveal nothing about other families.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.errors import form_error_add

from .. import errors, selectors, services
from ..forms import InvitationForm
from ..models import Child, Guardianship, Invitation


@login_required
@require_http_methods(["GET", "POST"])
def invite(request, pk: int):
    """The child's adult of reference invites another adult as delegate (of this child, and others of theirs)."""
    try:
        child = selectors.child_get_for_user(user=request.user, pk=pk)
    except Child.DoesNotExist:
        raise Http404 from None
    if child.viewer_role != Guardianship.Role.REFERENCE:
        raise Http404
    form = InvitationForm(
        request.POST or None,
        children=selectors.children_referenced_for_user(user=request.user),
        initial={"children": [child.pk]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                inviter=request.user, base_url=request.build_absolute_uri("/"), **form.cleaned_data
            )
        except errors.InvitationError as error:
            form_error_add(form, error)
        else:
            messages.success(
                request,
                _(
                    "Invito inviato a %(email)s. Vale fino al %(date)s: quando sarà accettato, "
                    "lo vedrai tra gli adulti del bambino."
                )
                % {"email": invitation.email, "date": _date(invitation.expires_at)},
            )
            return redirect("accounts:child_detail", pk=child.pk)
    return render(request, "accounts/invitation_form.html", {"form": form, "child": child})


def _date(value) -> str:
    return date_format(timezone.localtime(value), "d/m/Y")


@login_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    """Who invites you and for which children (names only), and the button to accept."""
    invitation = selectors.invitation_get_by_token(token=token)
    children: list[Child] = []
    error = None
    status = 200
    if invitation is None:
        error, status = str(errors.InvitationNotFoundError()), 404
    else:
        try:
            children = services.invitation_check(user=request.user, invitation=invitation)
        except errors.InvitationWrongPersonError as exc:  # not theirs: as if it did not exist, but say why
            error, status = str(exc), 404
        except errors.InvitationError as exc:
            error = str(exc)
    if request.method == "POST" and error is None:
        try:
            granted = services.invitation_accept(user=request.user, token=token)
        except errors.InvitationError as exc:
            error = str(exc)
        else:
            names = ", ".join(child.first_name for child in granted or children)
            messages.success(request, _("Ora sei delegato per %(names)s.") % {"names": names})
            if len(granted) == 1:
                return redirect("accounts:child_detail", pk=granted[0].pk)
            return redirect("accounts:family")
    context = {"invitation": invitation if error is None else None, "children": children, "error": error}
    return render(request, "accounts/invitation_accept.html", context, status=status)


@login_required
@require_POST
def invitation_revoke(request, pk: int):
    try:
        invitation = selectors.invitation_get_for_user(user=request.user, pk=pk)
    except Invitation.DoesNotExist:
        raise Http404 from None
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except errors.NotAllowedError:
        raise Http404 from None
    except errors.InvitationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("L'invito a %(email)s è stato annullato.") % {"email": invitation.email})
    child = selectors.children_referenced_for_user(user=request.user).filter(invitations=invitation).first()
    return redirect("accounts:child_detail", pk=child.pk) if child else redirect("accounts:family")


@login_required
@require_POST
def invitation_decline(request, pk: int):
    """The invited adult declines from the family page (an invitation not theirs is a 404)."""
    try:
        invitation = services.invitation_decline(user=request.user, invitation_id=pk)
    except errors.InvitationNotFoundError:
        raise Http404 from None
    except errors.InvitationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Hai rifiutato l'invito di %(name)s.")
            % {"name": f"{invitation.inviter.first_name} {invitation.inviter.last_name}"},
        )
    return redirect("accounts:family")


@login_required
@require_POST
def delegate_revoke(request, pk: int):
    """The child's reference revokes a delegate, or the delegate gives up their own delegation."""
    try:
        guardianship = selectors.delegation_get_for_user(user=request.user, pk=pk)
    except Guardianship.DoesNotExist:
        raise Http404 from None
    try:
        services.delegate_revoke(actor=request.user, guardianship=guardianship)
    except errors.NotAllowedError:
        raise Http404 from None
    child = guardianship.child
    if guardianship.adult_id == request.user.pk:
        messages.success(request, _("Hai rinunciato alla delega per %(child)s.") % {"child": child.first_name})
        return redirect("accounts:family")
    messages.success(
        request,
        _("%(adult)s non può più agire per %(child)s.")
        % {"adult": guardianship.adult.get_full_name(), "child": child.first_name},
    )
    return redirect("accounts:child_detail", pk=child.pk)
