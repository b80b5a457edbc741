"""The step before a staff user activates TOTP: a code e-mailed to the account's verified address."""

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.errors import form_error_add

from .. import errors, selectors, services
from ..forms import StaffMfaCodeForm


@login_required
@require_http_methods(["GET", "POST"])
@reauthentication_required(app="allauth.mfa")  # the password again first, as the activation page asks
def staff_mfa_email_code(request):
    user = request.user
    if not user.is_staff or selectors.user_has_totp(user=user):
        return redirect("mfa_index")
    if services.staff_mfa_confirmation_is_valid(request=request, user=user):
        return redirect("mfa_activate_totp")
    email = services.staff_mfa_email_for_user(user=user)
    form = StaffMfaCodeForm(request.POST if request.POST.get("action") == "verify" else None)
    if request.method == "POST" and request.POST.get("action") == "send":
        try:
            sent_to = services.staff_mfa_code_send(request=request, user=user)
        except errors.StaffMfaCodeError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Ti abbiamo inviato il codice a %(email)s.") % {"email": sent_to})
        return redirect("accounts:staff_mfa_email_code")
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_mfa_code_verify(request=request, user=user, code=form.cleaned_data["code"])
        except errors.StaffMfaCodeError as error:
            form_error_add(form, error)
        else:
            messages.success(request, _("Indirizzo e-mail confermato: ora attiva l'app di autenticazione."))
            return redirect("mfa_activate_totp")
    minutes = int(services.STAFF_MFA_CODE_VALIDITY.total_seconds() // 60)
    return render(request, "accounts/staff_mfa_email_code.html", {"form": form, "email": email, "minutes": minutes})
