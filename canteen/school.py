"""Attendance files uploaded by a school's staff (for their schools) or by the office (any school): a preview with
every row's problem and its line number, then confirm or discard. Anyone else gets a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from enrollment.models import School, SchoolStaff
from enrollment.views.common import signed_in_user
from portal.errors import DomainError

from . import services
from .forms import AttendanceUploadForm
from .models import AttendanceBatch

OFFICE_PERMISSION = "canteen.add_attendancebatch"
PREVIEW_ROWS_SHOWN = 200


def _schools_for(user) -> list[School]:
    """The schools whose attendance the user may send: all for the office, their own for school staff; else 404."""
    if user.has_perm(OFFICE_PERMISSION):
        return list(School.objects.order_by("name"))
    staff = SchoolStaff.objects.filter(user=user).first()
    if staff is None:
        raise Http404
    return list(staff.schools.order_by("name"))


@login_required
@require_http_methods(["GET", "POST"])
def attendance_upload(request: HttpRequest) -> HttpResponse:
    schools = _schools_for(request.user)
    form = AttendanceUploadForm(request.POST, request.FILES) if request.method == "POST" else AttendanceUploadForm()
    chosen = request.POST.get("school", "") or request.GET.get("scuola", "")
    school = next((s for s in schools if str(s.pk) == chosen), None)
    if request.method == "POST":
        valid = form.is_valid()
        if school is None:
            form.add_error(None, _("Scegli la scuola."))
        elif valid:
            upload = form.cleaned_data["file"]
            try:
                batch = services.attendance_preview(
                    content=upload.read(), filename=upload.name, school=school, actor=signed_in_user(request)
                )
                return redirect("canteen:attendance_batch", pk=batch.pk)
            except DomainError as error:
                form.add_error("file", str(error))
    context = {"form": form, "schools": schools, "school": school}
    return render(request, "canteen/attendance_upload.html", context, status=400 if request.method == "POST" else 200)


def _batch_for(user, pk: int) -> AttendanceBatch:
    batch = AttendanceBatch.objects.select_related("school").filter(pk=pk).first()
    if batch is None or batch.school is None or batch.school not in _schools_for(user):
        raise Http404
    return batch


@login_required
@require_http_methods(["GET", "POST"])
def attendance_batch(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_for(request.user, pk)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "apply":
                result = services.attendance_apply(batch=batch, actor=signed_in_user(request))
                messages.success(
                    request,
                    _(
                        "Presenze registrate: %(debited)s pasti addebitati, %(reversed)s stornati, "
                        "%(unchanged)s invariati."
                    )
                    % {"debited": result.debited, "reversed": result.reversed, "unchanged": result.unchanged},
                )
            else:
                services.attendance_discard(batch=batch)
                messages.info(request, _("File scartato: nessuna presenza registrata."))
            return redirect("canteen:attendance_batch", pk=batch.pk)
        except DomainError as error:
            messages.error(request, str(error))
    present = sum(1 for row in batch.rows if row["present"])
    context = {
        "batch": batch,
        "rows": batch.rows[:PREVIEW_ROWS_SHOWN],
        "present": present,
        "absent": len(batch.rows) - present,
        "more_rows": max(len(batch.rows) - PREVIEW_ROWS_SHOWN, 0),
        "days": sorted({row["date"] for row in batch.rows}),
    }
    return render(request, "canteen/attendance_batch.html", context)
