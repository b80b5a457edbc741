"""The privacy center: the user's rights, a copy of their data (ZIP) and the request to delete the account."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import errors, privacy
from ..forms import DeletionRequestForm


def _center(request, form: DeletionRequestForm, status: int = 200):
    user = request.user
    context = {
        "form": form,
        "pending_request": privacy.deletion_request_pending_for_user(user=user),
        "retention_reasons": privacy.retention_reasons_for_user(user=user),
    }
    return render(request, "accounts/privacy_center.html", context, status=status)


@login_required
@require_GET
def privacy_center(request):
    return _center(request, DeletionRequestForm())


@login_required
@require_GET
def privacy_export(request):
    content = privacy.personal_data_export(user=request.user)
    filename = f"dati-personali-{timezone.localdate():%Y-%m-%d}.zip"
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def deletion_request(request):
    form = DeletionRequestForm(request.POST)
    if not form.is_valid():
        return _center(request, form, status=400)
    try:
        privacy.deletion_request_create(user=request.user, reason=form.cleaned_data["reason"])
    except errors.PrivacyError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _(
                "Abbiamo ricevuto la tua richiesta di cancellazione: l'ufficio scuola la gestirà al più presto. "
                "Fino ad allora puoi continuare a usare il portale."
            ),
        )
    return redirect("accounts:privacy_center")
