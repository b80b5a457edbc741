"""Delegates' pages: invite another adult, accept an invitation, revoke an invitation or a delegation.

Anything the user may not touch is a 404, never a 403: the pages reveal nothing about other families.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from portal.errors import form_error_add

from . import invitations, selectors
from .models import Child, Guardianship, Invitation
from .validators import validate_codice_fiscale


class ChildChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Child) -> str:
        return f"{obj.first_name} {obj.last_name}"


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_lazy("E-mail dell'adulto da invitare"),
        max_length=254,
        help_text=_lazy("Gli invieremo il collegamento per accettare l'invito."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    codice_fiscale = forms.CharField(
        label=_lazy("Codice fiscale dell'adulto da invitare"),
        max_length=30,
        help_text=_lazy("Solo chi accede con questo codice fiscale potrà accettare l'invito."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    children = ChildChoiceField(
        label=_lazy("Per quali bambini"),
        queryset=Child.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"required": _lazy("Scegli almeno un bambino.")},
    )

    def __init__(self, *args, children, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["children"].queryset = children

    def clean_codice_fiscale(self) -> str:
        return validate_codice_fiscale(self.cleaned_data["codice_fiscale"])


@login_required
@require_http_methods(["GET", "POST"])
def invite(request, pk: int):
    """The child's adult of reference invites another adult as delegate (of this child, and others of theirs)."""
    try:
        child = selectors.child_get_for_adult(user=request.user, pk=pk)
    except Child.DoesNotExist:
        raise Http404 from None
    if child.viewer_role != Guardianship.Role.REFERENCE:
        raise Http404
    form = InvitationForm(
        request.POST or None,
        children=invitations.children_referenced_by(user=request.user),
        initial={"children": [child.pk]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitations.invitation_create(
                inviter=request.user, base_url=request.build_absolute_uri("/"), **form.cleaned_data
            )
        except invitations.InvitationError as error:
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
    invitation = invitations.invitation_get_by_token(token=token)
    children: list[Child] = []
    error = None
    status = 200
    if invitation is None:
        error, status = str(invitations.InvitationNotFoundError()), 404
    else:
        try:
            children = invitations.invitation_check(user=request.user, invitation=invitation)
        except invitations.InvitationWrongPersonError as exc:  # not theirs: as if it did not exist, but say why
            error, status = str(exc), 404
        except invitations.InvitationError as exc:
            error = str(exc)
    if request.method == "POST" and error is None:
        try:
            granted = invitations.invitation_accept(user=request.user, token=token)
        except invitations.InvitationError as exc:
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
        invitation = invitations.invitation_get_for_inviter(user=request.user, pk=pk)
    except Invitation.DoesNotExist:
        raise Http404 from None
    try:
        invitations.invitation_revoke(actor=request.user, invitation=invitation)
    except invitations.NotAllowedError:
        raise Http404 from None
    except invitations.InvitationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("L'invito a %(email)s è stato annullato.") % {"email": invitation.email})
    child = invitations.children_referenced_by(user=request.user).filter(invitations=invitation).first()
    return redirect("accounts:child_detail", pk=child.pk) if child else redirect("accounts:family")


@login_required
@require_POST
def delegate_revoke(request, pk: int):
    """The child's reference revokes a delegate, or the delegate gives up their own delegation."""
    try:
        guardianship = invitations.delegation_get_for_revoke(user=request.user, pk=pk)
    except Guardianship.DoesNotExist:
        raise Http404 from None
    try:
        invitations.delegate_revoke(actor=request.user, guardianship=guardianship)
    except invitations.NotAllowedError:
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
